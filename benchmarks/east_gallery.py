"""A picture of the shipped EAST detector on real photographs: detections (green) and ground truth (thin red)
side by side for a few photos of an ICDAR 2015-layout folder, tiled into one JPEG.

    python benchmarks/east_gallery.py --test DIR [--names scenetext01 scenetext02 ...] [--weights default]
        [--out docs/images/east_gallery.jpg]
"""
from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from textvision.data import IcdarDataset
from textvision.east.decode import detect
from textvision.io import write_image


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--test", required=True, metavar="DIR")
    ap.add_argument("--names", nargs="+", default=["scenetext01", "scenetext02", "scenetext05", "scenetext06"])
    ap.add_argument("--weights", default="default")
    ap.add_argument("--height", type=int, default=360, help="height of each tile")
    ap.add_argument("--out", default="docs/images/east_gallery.jpg")
    args = ap.parse_args(argv)
    ds = IcdarDataset(args.test, year=2015, split="test")
    by_id = {ds.samples[i][0].stem: i for i in range(len(ds))}
    tiles = []
    for name in args.names:
        if name not in by_id:
            raise SystemExit(f"{name}: not in {args.test}")
        item = ds[by_id[name]]
        vis = item["image"].copy()
        det = detect(item["image"], args.weights)
        t = max(2, round(max(vis.shape[:2]) / 400))
        cv2.polylines(vis, [np.round(g.quad).astype(np.int32) for g in item["instances"]], True, (255, 0, 0), max(1, t // 2))
        cv2.polylines(vis, [np.round(q).astype(np.int32) for q in det.quads], True, (0, 255, 0), t)
        f = args.height / vis.shape[0]
        tiles.append(cv2.resize(vis, (round(vis.shape[1] * f), args.height), interpolation=cv2.INTER_AREA))
    rows = [np.concatenate(tiles[i:i + 2], axis=1) for i in range(0, len(tiles), 2)]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    write_image(args.out, np.concatenate(rows, axis=0), jpeg_quality=85)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
