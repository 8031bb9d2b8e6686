"""Our word recogniser against EasyOCR's own implementation of the same file (english_g2.pth).

Three steps, because EasyOCR is never a dependency of textvision: it runs in a throw-away virtualenv.

1. In the project's environment, cut the legible word crops of the ICDAR 2015 validation split
   (img_901-img_1000 of a training folder) with ``textvision.spotting.word_crops`` and render the small
   test crops (words drawn with cv2's Hershey fonts and the DejaVu fonts, never ICDAR pixels)::

       python tools/recognizer_reference.py crops --data DATA/icdar2015-train --out /tmp/val_crops.npz
       python tools/recognizer_reference.py render --out tests/spotting/data

2. In an environment with ``easyocr`` (``pip install easyocr --no-deps`` beside torch, opencv, scipy,
   pillow, scikit-image; torchvision stubbed), EasyOCR's readings of the same crops (float network and its
   CPU default, the int8 dynamically quantised one), of the validation words through EasyOCR's own cropping
   (``free_list`` quads on the grey photo), and of the rendered crops (written into their ``words.json``)::

       PYTHONPATH=STUB /path/to/refenv/bin/python tools/recognizer_reference.py easyocr \\
           --crops /tmp/val_crops.npz --models DIR_WITH_english_g2.pth --out /tmp/easyocr_reads.json \\
           --render tests/spotting/data

3. Back in the project's environment, our readings and the comparison table::

       python tools/recognizer_reference.py compare --crops /tmp/val_crops.npz \\
           --easyocr /tmp/easyocr_reads.json [--json OUT.json]

Only NumPy, OpenCV and the standard library are imported at the top: step 2 runs without textvision.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HOLDOUT = range(901, 1001)  # the project's validation split of the ICDAR 2015 training photos


# ------------------------------------------------------------------------------------------------ step 1
def _crops(args) -> int:
    from textvision import io
    from textvision.data import read_icdar2015
    from textvision.spotting import word_crops

    root = Path(args.data)
    widths, pixels, texts, names, quads = [], [], [], [], []
    for k in HOLDOUT:
        img_path, gt_path = root / f"img_{k}.jpg", root / "gt" / f"gt_img_{k}.txt"
        if not img_path.is_file():
            continue
        words = [w for w in read_icdar2015(gt_path) if not w.ignore]
        if not words:
            continue
        q = np.stack([w.quad for w in words]).astype(np.float32)
        for w, c in zip(words, word_crops(io.read_rgb(img_path), q)):
            widths.append(c.shape[1])
            pixels.append(c)
            texts.append(w.text)
            names.append(img_path.name)
        quads.append(q)
    np.savez_compressed(args.out, pixels=np.concatenate(pixels, axis=1), widths=np.array(widths),
                        texts=np.array(texts), images=np.array(names), quads=np.concatenate(quads),
                        data=str(root.resolve()))
    print(f"{len(texts)} legible words of {len(set(names))} validation photos -> {args.out}")
    return 0


def _load_crops(path):
    z = np.load(path)
    edges = np.concatenate([[0], np.cumsum(z["widths"])])
    crops = [z["pixels"][:, a:b] for a, b in zip(edges[:-1], edges[1:])]
    return z, crops


# Words for the stored test crops: a mix of cases, digits and punctuation, drawn in several ways.
_RENDER = [
    ("Hello", "hershey_simplex", 0), ("EXIT", "hershey_duplex", 1), ("Parking", "DejaVuSans", 2),
    ("Station", "DejaVuSerif", 3), ("42nd", "DejaVuSans-Bold", 4), ("OPEN", "hershey_triplex", 5),
    ("caf\u00e9", "DejaVuSans", 6), ("Tel:999", "DejaVuSansMono", 7), ("Street", "DejaVuSerif-Bold", 8),
    ("WAY", "hershey_complex", 9), ("bus", "DejaVuSans", 10), ("Free!", "DejaVuSans-Bold", 11),
]


def _draw(word: str, font: str, seed: int) -> np.ndarray:
    """A grey word strip of height 64 (width by aspect ratio), with mild blur, noise and tilt."""
    import cv2

    rng = np.random.default_rng(seed)
    ink, paper = (int(rng.integers(10, 90)), int(rng.integers(170, 250)))
    if seed % 3 == 2:
        ink, paper = paper, ink  # light text on a dark ground
    if font.startswith("hershey"):
        face = getattr(cv2, "FONT_" + font.upper())
        scale = 1.6
        (tw, th), base = cv2.getTextSize(word, face, scale, 3)
        canvas = np.full((th + base + 30, tw + 30), paper, np.uint8)
        cv2.putText(canvas, word, (15, th + 15), face, scale, ink, 3, cv2.LINE_AA)
    else:
        from PIL import Image, ImageDraw, ImageFont

        pil = ImageFont.truetype(f"/usr/share/fonts/truetype/dejavu/{font}.ttf", 48)
        x0, y0, x1, y1 = pil.getbbox(word)
        canvas_img = Image.new("L", (x1 - x0 + 30, y1 - y0 + 30), paper)
        ImageDraw.Draw(canvas_img).text((15 - x0, 15 - y0), word, fill=ink, font=pil)
        canvas = np.array(canvas_img)
    h, w = canvas.shape
    angle = float(rng.uniform(-4, 4))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    canvas = cv2.warpAffine(canvas, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    canvas = cv2.GaussianBlur(canvas, (0, 0), float(rng.uniform(0.3, 1.2)))
    canvas = np.clip(canvas + rng.normal(0, rng.uniform(2, 8), canvas.shape), 0, 255).astype(np.uint8)
    # EasyOCR's width rounding (int(64 w / h)); mostly not a multiple of 64, so both readers pad the crop
    return cv2.resize(canvas, (int(64 * w / h), 64), interpolation=cv2.INTER_AREA)


def _render(args) -> int:
    import cv2

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (word, font, seed) in enumerate(_RENDER):
        name = f"word_{i:02d}.png"
        cv2.imwrite(str(out / name), _draw(word, font, seed), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        entries.append({"file": name, "word": word, "font": font})
    meta = {"about": "rendered words (cv2 Hershey fonts, DejaVu fonts); no ICDAR pixels; made by "
                     "tools/recognizer_reference.py render", "crops": entries}
    (out / "words.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(entries)} crops -> {out}")
    return 0


# ------------------------------------------------------------------------------------------------ step 2
def _easyocr(args) -> int:
    import cv2
    import easyocr
    import torch

    torch.set_num_threads(1)
    readers = {q: easyocr.Reader(["en"], gpu=False, model_storage_directory=args.models, download_enabled=False,
                                 detector=False, quantize=q, verbose=False) for q in (False, True)}
    z, crops = _load_crops(args.crops)
    out = {"easyocr_version": easyocr.__version__, "torch": torch.__version__}

    def read_all(reader, items, **kw):
        texts, confs = [], []
        t0 = time.process_time()
        for grey, boxes in items:
            r = reader.recognize(grey, **kw, **boxes)
            texts.append(r[0][1] if r else "")
            confs.append(float(r[0][2]) if r else 0.0)
        return texts, confs, time.process_time() - t0

    # Contrast retry off (contrast_ths=0): the network's one reading, as ours; then EasyOCR's default (0.1).
    same = [(c, {"horizontal_list": [[0, c.shape[1], 0, c.shape[0]]], "free_list": []}) for c in crops]
    for quant in (False, True):
        for ths in (0.0, 0.1):
            key = f"same_crops{'_quantized' if quant else ''}{'_retry' if ths else ''}"
            t, c, sec = read_all(readers[quant], same, contrast_ths=ths)
            out[key] = {"texts": t, "confidences": c, "cpu_seconds": sec}
            print(f"{key}: {sec:.1f} CPU s", file=sys.stderr)
    # EasyOCR's own cropping from the photo and the quad (its four_point_transform + resizes).
    data = Path(str(z["data"]))
    greys = {}
    own = []
    for name, quad in zip(z["images"], z["quads"]):
        if name not in greys:
            greys[name] = cv2.cvtColor(cv2.imread(str(data / name)), cv2.COLOR_BGR2GRAY)
        own.append((greys[name], {"horizontal_list": [], "free_list": [quad.astype(np.float64).tolist()]}))
    for quant in (False, True):
        key = f"own_pipeline{'_quantized' if quant else ''}"
        t, c, sec = read_all(readers[quant], own, contrast_ths=0.1)
        out[key] = {"texts": t, "confidences": c, "cpu_seconds": sec}
        print(f"{key}: {sec:.1f} CPU s", file=sys.stderr)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    if args.render:
        meta_path = Path(args.render) / "words.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        for e in meta["crops"]:
            grey = cv2.imread(str(Path(args.render) / e["file"]), cv2.IMREAD_GRAYSCALE)
            box = {"horizontal_list": [[0, grey.shape[1], 0, grey.shape[0]]], "free_list": []}
            for quant, key in ((False, "easyocr"), (True, "easyocr_quantized")):
                r = readers[quant].recognize(grey, contrast_ths=0.0, **box)
                e[key] = r[0][1] if r else ""
        meta["reference"] = (f"EasyOCR {easyocr.__version__} Reader(['en'], gpu=False, quantize=False / True)"
                             f".recognize(grey, horizontal_list=[[0, w, 0, h]], contrast_ths=0.0)")
        meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


# ------------------------------------------------------------------------------------------------ step 3
def _compare(args) -> int:
    import torch

    from textvision.spotting import as_recognizer, recognize_crops

    torch.set_num_threads(1)
    z, crops = _load_crops(args.crops)
    ref = json.loads(Path(args.easyocr).read_text(encoding="utf-8"))
    gt = [str(t) for t in z["texts"]]
    model = as_recognizer("default")
    recognize_crops(crops[:4], model)  # warm-up
    t0 = time.process_time()
    ours = recognize_crops(crops, model)
    ours_sec = time.process_time() - t0
    n = len(gt)
    first = min(args.first, n)

    def acc(texts, case=False):
        return float(np.mean([(a == b) if case else (a.upper() == b.upper()) for a, b in zip(texts, gt)]))

    def agree(texts, k=n):
        return sum(a == b for a, b in zip(texts[:k], ours.texts[:k]))

    t0 = time.process_time()
    retry = recognize_crops(crops, model, contrast_retry=0.1)
    retry_sec = time.process_time() - t0
    narrow = np.array([c.shape[1] < c.shape[0] for c in crops])
    rows = [{"reader": "textvision (english_g2, float32)", "word_acc": acc(ours.texts),
             "word_acc_case": acc(ours.texts, True), f"same_as_ours_first_{first}": first,
             "same_as_ours_all": n, "ms_per_crop": 1000 * ours_sec / n},
            {"reader": "textvision, contrast retry 0.1", "word_acc": acc(retry.texts),
             "word_acc_case": acc(retry.texts, True), f"same_as_ours_first_{first}": agree(retry.texts, first),
             "same_as_ours_all": agree(retry.texts), "ms_per_crop": 1000 * retry_sec / n}]
    for key, label in (("same_crops", "EasyOCR, same crops, float"),
                       ("same_crops_retry", "EasyOCR, same crops, float, contrast retry"),
                       ("same_crops_quantized", "EasyOCR, same crops, int8 (its CPU default)"),
                       ("same_crops_quantized_retry", "EasyOCR, same crops, int8 + contrast retry (its default)"),
                       ("own_pipeline", "EasyOCR, its own cropping, float + retry"),
                       ("own_pipeline_quantized", "EasyOCR, its own cropping, int8 + retry (its default)")):
        r = ref[key]
        rows.append({"reader": label, "word_acc": acc(r["texts"]), "word_acc_case": acc(r["texts"], True),
                     f"same_as_ours_first_{first}": agree(r["texts"], first), "same_as_ours_all": agree(r["texts"]),
                     "ms_per_crop": 1000 * r["cpu_seconds"] / n})
    same = ref["same_crops"]
    conf_diff = float(np.max(np.abs(np.array(same["confidences"]) - ours.confidences)[~narrow]))
    differ = [i for i, (a, b) in enumerate(zip(same["texts"], ours.texts)) if a != b]
    wide_same = sum(1 for i in range(n) if not narrow[i] and i not in differ)
    print(f"{n} legible words of the ICDAR 2015 validation split (img_901-img_1000); word accuracy = exact "
          f"transcription, case-free (and case-sensitive); agreement = the same string as ours; CPU ms per crop, "
          f"one thread")
    head = f"| reader | word acc | word acc (case) | same as ours, first {first} | same as ours, all {n} | ms/crop |"
    print(head)
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['reader']} | {r['word_acc']:.3f} | {r['word_acc_case']:.3f} | "
              f"{r[f'same_as_ours_first_{first}']}/{first} | {r['same_as_ours_all']}/{n} | {r['ms_per_crop']:.1f} |")
    print(f"same crops, float, without contrast retry: {len(differ)} strings differ, "
          f"{sum(narrow[differ])} of them on crops narrower than tall ({int(narrow.sum())} such crops; EasyOCR "
          f"stretches those to 64 columns and back); crops at least as wide as tall: {wide_same}/{int((~narrow).sum())} "
          f"the same, largest confidence difference {conf_diff:.2e}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "max_confidence_diff_wide": conf_diff,
                                               "differ": len(differ), "differ_narrow": int(sum(narrow[differ])),
                                               "narrow": int(narrow.sum()), "wide_same": wide_same,
                                               "easyocr_version": ref["easyocr_version"]}, indent=1))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="step", required=True)
    c = sub.add_parser("crops", help="legible word crops of the validation split (project env)")
    c.add_argument("--data", required=True, help="the ICDAR 2015 training folder (img_*.jpg, gt/gt_img_*.txt)")
    c.add_argument("--out", required=True, help="output .npz")
    c.set_defaults(func=_crops)
    r = sub.add_parser("render", help="the rendered test crops (project env)")
    r.add_argument("--out", required=True, help="output folder (PNGs and words.json)")
    r.set_defaults(func=_render)
    e = sub.add_parser("easyocr", help="EasyOCR's readings (an environment with easyocr)")
    e.add_argument("--crops", required=True)
    e.add_argument("--models", required=True, help="folder holding english_g2.pth")
    e.add_argument("--out", required=True, help="output .json")
    e.add_argument("--render", help="a render folder: EasyOCR's strings are written into its words.json")
    e.set_defaults(func=_easyocr)
    m = sub.add_parser("compare", help="ours and the comparison table (project env)")
    m.add_argument("--crops", required=True)
    m.add_argument("--easyocr", required=True)
    m.add_argument("--first", type=int, default=100, help="agreement is also counted on the first N crops")
    m.add_argument("--json")
    m.set_defaults(func=_compare)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
