"""EAST detectors on real photographs, ICDAR 2015 protocol: precision, recall and H-mean per detector on any
ICDAR 2015-layout folder (images with ``gt_<stem>.txt`` beside them, in ``gt/`` or an official layout),
and optionally the CRAFT teacher's own word boxes on the same photos as a reference row.

    python benchmarks/eval_east.py --test DIR [--weights default east.pt ...] [--max-side 1280] [--teacher]
        [--out benchmarks/results/east_real.json]

Run single-threaded (``OMP_NUM_THREADS=1``) for comparable per-image times. The test photos must be
ones no training or tuning step saw.
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
from textvision.east.decode import detect
from textvision.eval import icdar2015
from textvision.models.east import load_east


def _row(name, gts, dets, seconds):
    res = icdar2015(gts, dets)
    return {"detector": name, "precision": float(res["precision"]), "recall": float(res["recall"]),
            "hmean": float(res["hmean"]), "detections": int(sum(len(d) for d in dets)),
            "median_seconds": float(np.median(seconds))}


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--test", required=True, metavar="DIR", help="ICDAR 2015-layout folder of real photographs")
    ap.add_argument("--split", default="test", help="split name for official layouts (default test)")
    ap.add_argument("--weights", nargs="+", default=["default"], metavar="W", help="EAST registry names / checkpoints")
    ap.add_argument("--max-side", type=int, default=1280)
    ap.add_argument("--teacher", action="store_true", help="add the CRAFT teacher's word boxes as a reference row")
    ap.add_argument("--out", default=None, metavar="JSON")
    args = ap.parse_args(argv)

    ds = IcdarDataset(args.test, year=2015, split=args.split)
    items = [ds[i] for i in range(len(ds))]
    gts = [it["instances"] for it in items]
    n_words = sum(1 for g in gts for t in g if not (t.ignore or t.text == "###"))
    rows = []
    for w in args.weights:
        model = load_east(w)
        dets, secs = [], []
        for it in items:
            t0 = time.perf_counter()
            dets.append(detect(it["image"], model, max_side=args.max_side).quads)
            secs.append(time.perf_counter() - t0)
        rows.append(_row(w, gts, dets, secs))
    if args.teacher:
        dets, secs = _craft_quads([it["image"] for it in items], args.max_side)
        rows.append(_row("CRAFT teacher (reference)", gts, dets, secs))
    print(f"{args.test}: {len(items)} photos, {n_words} words; ICDAR 2015 protocol (IoU 0.5), "
          f"max side {args.max_side}, {torch.get_num_threads()} thread(s)")
    print(f"{'detector':<32} {'P':>6} {'R':>6} {'H-mean':>7} {'dets':>5} {'s/img':>6}")
    for r in rows:
        print(f"{r['detector']:<32} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['hmean']:>7.3f} "
              f"{r['detections']:>5} {r['median_seconds']:>6.2f}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"test": os.path.basename(os.path.normpath(args.test)), "photos": [it["id"] for it in items],
                       "words": n_words, "max_side": args.max_side, "threads": torch.get_num_threads(),
                       "rows": rows}, f, indent=2)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
