"""End-to-end reading on ICDAR 2015 validation photos: ``textvision.read`` beside EasyOCR's ``readtext``.

Both are scored with the ICDAR 2015 end-to-end protocol (``textvision.eval.icdar2015_end_to_end``: IoU > 0.5
and the word read right, case-free) and timed in CPU seconds per photo on one thread. EasyOCR is never a
dependency of textvision: its step runs in a throw-away virtualenv and writes JSON (see
tools/recognizer_reference.py for that environment)::

    # EasyOCR's readtext (CRAFT + english_g2, its defaults) on the first 20 validation photos
    PYTHONPATH=STUB /path/to/refenv/bin/python benchmarks/eval_read.py easyocr \\
        --data DATA/icdar2015-train --first 20 --models DIR_WITH_THE_PTH_FILES --out /tmp/easyocr_readtext.json
    # textvision.read (shipped EAST + english_g2) on the validation photos, scored with EasyOCR's results
    python benchmarks/eval_read.py ours --data DATA/icdar2015-train [--first 20] \\
        [--easyocr /tmp/easyocr_readtext.json] [--proposals] [--json OUT.json]

Validation photos: img_901-img_1000 of the ICDAR 2015 training folder (the project's held-out split).
Only the standard library, NumPy and OpenCV are imported at the top: the easyocr step runs without textvision.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HOLDOUT = range(901, 1001)


def _photos(data: Path, first):
    found = [data / f"img_{k}.jpg" for k in HOLDOUT if (data / f"img_{k}.jpg").is_file()]
    return found[:first] if first else found


def _easyocr(args) -> int:
    import easyocr
    import torch

    torch.set_num_threads(1)
    reader = easyocr.Reader(["en"], gpu=False, model_storage_directory=args.models, download_enabled=False,
                            verbose=False)
    out = {"easyocr_version": easyocr.__version__, "images": {}}
    for path in _photos(Path(args.data), args.first):
        t0 = time.process_time()
        res = reader.readtext(str(path))
        sec = time.process_time() - t0
        out["images"][path.stem] = {"cpu_seconds": sec, "words": [
            {"quad": np.asarray(b, np.float64).tolist(), "text": t, "confidence": float(c)} for b, t, c in res]}
        print(f"{path.name}: {len(res)} words, {sec:.1f} CPU s", file=sys.stderr)
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")
    return 0


def _ours(args) -> int:
    import torch

    import textvision
    from textvision import io
    from textvision.data import read_icdar2015
    from textvision.eval import icdar2015, icdar2015_end_to_end

    torch.set_num_threads(1)
    data = Path(args.data)
    photos = _photos(data, args.first)
    gts, ours, secs = {}, {}, []
    for path in photos:
        img = io.read_rgb(path)
        gts[path.stem] = read_icdar2015(data / "gt" / f"gt_{path.stem}.txt")
        t0 = time.process_time()
        if args.proposals:
            words = textvision.read(img, proposals=textvision.propose(img, top=args.top))
        else:
            words = textvision.read(img)
        secs.append(time.process_time() - t0)
        ours[path.stem] = words
        print(f"{path.name}: {len(words)} words, {secs[-1]:.1f} CPU s", file=sys.stderr)
    rows = []

    def row(name, det, seconds):
        e2e = icdar2015_end_to_end(gts, det)
        loc = icdar2015(gts, {k: ([np.asarray(w.quad) for w in v]
                                  if v else np.zeros((0, 4, 2))) for k, v in det.items()})
        rows.append({"reader": name, "e2e_precision": e2e.precision, "e2e_recall": e2e.recall,
                     "e2e_hmean": e2e.hmean, "det_precision": loc.precision, "det_recall": loc.recall,
                     "det_hmean": loc.hmean, "words": e2e.num_det, "cpu_s_per_photo": float(np.mean(seconds))})

    label = f"textvision.read (propose top {args.top})" if args.proposals else "textvision.read (EAST + english_g2)"
    row(label, ours, secs)
    if args.easyocr:
        ref = json.loads(Path(args.easyocr).read_text(encoding="utf-8"))
        keys = [k for k in gts if k in ref["images"]]
        if len(keys) != len(gts):
            raise SystemExit(f"EasyOCR results cover {len(keys)} of {len(gts)} photos: run both on the same --first")
        theirs = {k: ([np.asarray(w["quad"]) for w in ref["images"][k]["words"]],
                      [w["text"] for w in ref["images"][k]["words"]]) for k in keys}

        class _W:  # (quad, text) pairs with attribute access, for the detection-only score above
            def __init__(self, q, t):
                self.quad, self.text = q, t

        row(f"EasyOCR {ref['easyocr_version']} readtext (CRAFT + english_g2, int8)",
            {k: [_W(q, t) for q, t in zip(*v)] for k, v in theirs.items()},
            [ref["images"][k]["cpu_seconds"] for k in keys])
    n_gt = sum(1 for v in gts.values() for w in v if not w.ignore)
    print(f"{len(photos)} ICDAR 2015 validation photos ({photos[0].stem}..{photos[-1].stem}), {n_gt} legible words; "
          f"end-to-end = IoU > 0.5 and the word read right (case-free); CPU seconds per photo, one thread")
    print("| reader | e2e P | e2e R | e2e H | det P | det R | det H | words | CPU s / photo |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['reader']} | {r['e2e_precision']:.3f} | {r['e2e_recall']:.3f} | {r['e2e_hmean']:.3f} | "
              f"{r['det_precision']:.3f} | {r['det_recall']:.3f} | {r['det_hmean']:.3f} | {r['words']} | "
              f"{r['cpu_s_per_photo']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"photos": [p.stem for p in photos], "rows": rows}, indent=1))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="step", required=True)
    e = sub.add_parser("easyocr", help="EasyOCR's readtext (an environment with easyocr)")
    e.add_argument("--data", required=True)
    e.add_argument("--first", type=int, default=None, help="the first N validation photos (default all 100)")
    e.add_argument("--models", required=True, help="folder holding craft_mlt_25k.pth and english_g2.pth")
    e.add_argument("--out", required=True)
    e.set_defaults(func=_easyocr)
    o = sub.add_parser("ours", help="textvision.read, scored (project env)")
    o.add_argument("--data", required=True)
    o.add_argument("--first", type=int, default=None)
    o.add_argument("--easyocr", help="EasyOCR's results (the easyocr step's --out) to score beside ours")
    o.add_argument("--proposals", action="store_true", help="read textvision.propose's proposals instead of EAST's")
    o.add_argument("--top", type=int, default=1000, help="proposals read with --proposals (default 1000)")
    o.add_argument("--json")
    o.set_defaults(func=_ours)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
