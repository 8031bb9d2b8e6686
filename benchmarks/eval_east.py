"""EAST detectors on real photographs, ICDAR 2015 protocol: precision, recall, H-mean and CPU time per image
for each detector on any ICDAR 2015-layout folder (images with ``gt_<stem>.txt`` beside them, in ``gt/`` or an
official layout), optionally the CRAFT teacher's own word boxes as a reference row, a threshold sweep and a
gallery of the worst photographs.

    python benchmarks/eval_east.py --test DIR [--names img_901-img_1000] [--weights default east.pt ...]
        [--max-side 1280] [--multiscale 1280,1920] [--sweep] [--teacher] [--gallery worst.jpg]
        [--out benchmarks/results/east_val.json]

The ICDAR 2015 validation split of the project is ``--test ICDAR2015_TRAIN_DIR --names img_901-img_1000``:
photographs no training step saw, on which detectors and their thresholds are chosen. Run single-threaded
(``OMP_NUM_THREADS=1``) for comparable per-image times.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

from textvision.data import IcdarDataset
from textvision.east.decode import decode_maps, detect, east_maps
from textvision.eval import icdar2015
from textvision.models.east import east

SWEEP_SCORE = (0.5, 0.6, 0.7, 0.8, 0.9)
SWEEP_NMS = (0.1, 0.2, 0.3, 0.4, 0.5)


def _row(name, gts, dets, seconds, **extra):
    res = icdar2015(gts, dets)
    return {"detector": name, **extra, "precision": res.precision, "recall": res.recall,
            "hmean": res.hmean, "detections": int(sum(len(d) for d in dets)),
            "median_seconds": float(np.median(seconds)) if len(seconds) else float("nan"),
            "per_image_hmean": [r.hmean for r in res.per_image]}


def _craft_quads(images, max_side):
    from textvision.models.craft import craft, craft_maps, craft_word_boxes

    model = craft("default")
    out, secs = [], []
    for img in images:
        t0 = time.perf_counter()
        maps = craft_maps(model, img, max_side=max_side)
        boxes = craft_word_boxes(maps.region, maps.affinity)
        secs.append(time.perf_counter() - t0)
        out.append(np.asarray(boxes, np.float32).reshape(-1, 4, 2))
    return out, secs


def _gallery(path, items, dets, scores, worst, height=360):
    """The ``worst`` photographs by per-image H-mean among those with a legible word (a photo of ``###`` only
    has no H-mean to lose): detections green, ground truth red (don't-care grey), drawn thick enough to
    survive the downscale."""
    import cv2

    from textvision.io import write_image

    legible = [any(not (g.ignore or g.text == "###") for g in it["instances"]) for it in items]
    order = [i for i in np.argsort(np.asarray(scores), kind="stable") if legible[i]][:worst]
    tiles = []
    for i in order:
        vis = items[i]["image"].copy()
        t = max(2, round(max(vis.shape[:2]) / 400))
        for g in items[i]["instances"]:
            care = not (g.ignore or g.text == "###")
            cv2.polylines(vis, [np.round(g.quad).astype(np.int32)], True, (255, 0, 0) if care else (160, 160, 160),
                          t if care else max(1, t // 2))
        cv2.polylines(vis, [np.round(q).astype(np.int32) for q in dets[i]], True, (0, 255, 0), t)
        cv2.putText(vis, f"{items[i]['id']}  H {scores[i]:.2f}", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                    (255, 255, 0), 3, cv2.LINE_AA)
        f = height / vis.shape[0]
        tiles.append(cv2.resize(vis, (round(vis.shape[1] * f), height), interpolation=cv2.INTER_AREA))
    rows = [np.concatenate(tiles[i:i + 2], axis=1) for i in range(0, len(tiles), 2)]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    write_image(path, np.concatenate(rows, axis=0), jpeg_quality=85)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--test", required=True, metavar="DIR", help="ICDAR 2015-layout folder of real photographs")
    ap.add_argument("--split", default="test", help="split name for official layouts (default test)")
    ap.add_argument("--names", default=None, metavar="NAMES",
                    help="only these images, e.g. img_901-img_1000 (the validation split of the training folder)")
    ap.add_argument("--weights", nargs="+", default=["default"], metavar="W", help="EAST registry names / checkpoints")
    ap.add_argument("--max-side", type=int, default=1280)
    ap.add_argument("--score-threshold", type=float, default=None,
                    help="decoding score threshold (default: detect()'s)")
    ap.add_argument("--nms-threshold", type=float, default=None, help="decoding NMS IoU (default: detect()'s)")
    ap.add_argument("--multiscale", default=None, metavar="S1,S2",
                    help="also a row per detector with detect(max_side=(S1, S2, ...)): the multi-scale pass")
    ap.add_argument("--sweep", action="store_true",
                    help="also score every (score threshold, NMS IoU) pair on one forward pass per image")
    ap.add_argument("--teacher", action="store_true", help="add the CRAFT teacher's word boxes as a reference row")
    ap.add_argument("--gallery", default=None, metavar="JPG", help="the worst photographs of the first detector")
    ap.add_argument("--worst", type=int, default=6, help="photographs in --gallery (default 6)")
    ap.add_argument("--out", default=None, metavar="JSON")
    args = ap.parse_args(argv)

    ds = IcdarDataset(args.test, year=2015, split=args.split)
    idx = range(len(ds))
    if args.names:
        from textvision.data.datasets import parse_holdout

        chosen = parse_holdout(args.names)
        idx = [i for i in idx if chosen(ds.samples[i][0].stem)]
        if not idx:
            raise SystemExit(f"eval_east: no image of {args.test} is named in {args.names!r}")
    items = [ds[i] for i in idx]
    gts = [it["instances"] for it in items]
    n_words = sum(1 for g in gts for t in g if not (t.ignore or t.text == "###"))
    decode_kw = {k: v for k, v in (("score_threshold", args.score_threshold), ("nms_threshold", args.nms_threshold))
                 if v is not None}
    rows, sweep, gallery_dets = [], [], None
    for w in args.weights:
        model = east(weights=w)
        dets, secs, maps = [], [], []
        for it in items:
            t0 = time.perf_counter()
            m = east_maps(it["image"], model, max_side=args.max_side)
            dets.append(decode_maps(m, **decode_kw).quads)
            secs.append(time.perf_counter() - t0)
            if args.sweep:
                maps.append(m)
        rows.append(_row(w, gts, dets, secs, max_side=args.max_side))
        if gallery_dets is None:
            gallery_dets = dets
        if args.multiscale:
            sizes = tuple(int(s) for s in args.multiscale.split(","))
            dets, secs = [], []
            for it in items:
                t0 = time.perf_counter()
                dets.append(detect(it["image"], model, max_side=sizes, **decode_kw).quads)
                secs.append(time.perf_counter() - t0)
            rows.append(_row(f"{w} multi-scale {args.multiscale}", gts, dets, secs, max_side=list(sizes)))
        for st in SWEEP_SCORE if args.sweep else ():
            for nt in SWEEP_NMS:
                d = [decode_maps(m, score_threshold=st, nms_threshold=nt).quads for m in maps]
                r = _row(w, gts, d, [], score_threshold=st, nms_threshold=nt)
                r.pop("per_image_hmean")
                sweep.append(r)
    if args.teacher:
        dets, secs = _craft_quads([it["image"] for it in items], args.max_side)
        rows.append(_row("CRAFT teacher (reference)", gts, dets, secs))
    what = f"{len(items)} photos" + (f" ({args.names})" if args.names else "")
    print(f"{args.test}: {what}, {n_words} legible words; ICDAR 2015 protocol (IoU 0.5), max side {args.max_side}, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"{'detector':<40} {'P':>6} {'R':>6} {'H-mean':>7} {'dets':>5} {'s/img':>6}")
    for r in rows:
        print(f"{r['detector']:<40} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['hmean']:>7.3f} "
              f"{r['detections']:>5} {r['median_seconds']:>6.2f}")
    if sweep:
        print("\nthreshold sweep (one forward pass per image, decoded with each pair)")
        print(f"{'detector':<32} {'score':>6} {'NMS':>5} {'P':>6} {'R':>6} {'H-mean':>7}")
        for r in sweep:
            print(f"{r['detector']:<32} {r['score_threshold']:>6.2f} {r['nms_threshold']:>5.2f} {r['precision']:>6.3f} "
                  f"{r['recall']:>6.3f} {r['hmean']:>7.3f}")
    if args.gallery:
        _gallery(args.gallery, items, gallery_dets, rows[0]["per_image_hmean"], args.worst)
        print(f"wrote {args.gallery}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"test": os.path.basename(os.path.normpath(args.test)), "names": args.names,
                       "photos": [it["id"] for it in items], "words": n_words, "max_side": args.max_side,
                       "threads": torch.get_num_threads(), "rows": rows, "sweep": sweep}, f, indent=2)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
