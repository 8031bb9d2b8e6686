"""Locality-aware NMS: compiled core vs the shapely reference, on EAST-like box sets.

Boxes are generated the way EAST's decoder produces them: many heavily overlapping candidates per
word, in raster order, from words scattered over a 1280x720 image. Prints a table (median of repeats)
and writes benchmarks/results/lanms.json.

    python benchmarks/bench_lanms.py [--sizes 1000 10000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from _timing import median_seconds  # benchmarks/ is sys.path[0] when run as a script

from textvision.ops import lanms
from textvision.ops.nms import lanms_reference


def east_like_boxes(n: int, seed: int = 0):
    """n candidate quads (float32 [n,4,2]) and scores, ~25 candidates per word, raster order."""
    rng = np.random.default_rng(seed)
    words = max(1, n // 25)
    wc = np.stack([rng.uniform(50, 1230, words), rng.uniform(20, 700, words)], 1)
    ww, wh, wa = rng.uniform(30, 200, words), rng.uniform(12, 40, words), rng.uniform(-0.3, 0.3, words)
    owner = rng.integers(0, words, n)
    # each candidate is its word jittered by a few pixels, anchored at a pixel inside the word
    px = wc[owner, 0] + rng.uniform(-0.4, 0.4, n) * ww[owner]
    py = wc[owner, 1] + rng.uniform(-0.4, 0.4, n) * wh[owner]
    order = np.lexsort((np.round(px), np.round(py / 4)))  # rows of the 1/4 score map
    owner = owner[order]
    base = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    quads = np.empty((n, 4, 2), np.float32)
    for i, k in enumerate(owner):
        c, s = np.cos(wa[k]), np.sin(wa[k])
        pts = base * [ww[k], wh[k]] @ np.array([[c, s], [-s, c]]) + wc[k]
        quads[i] = pts + rng.normal(0, 1.5, (4, 2))
    scores = rng.uniform(0.8, 1.0, n).astype(np.float32)
    return quads, scores



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--ref-repeats", type=int, default=1, help="repeats of the (slow) shapely reference")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "lanms.json"))
    args = ap.parse_args(argv)
    rows = []
    for n in args.sizes:
        q, s = east_like_boxes(n)
        got = lanms(q, s, 0.2)
        t_core = median_seconds(lambda: lanms(q, s, 0.2), args.repeats)
        t0 = time.perf_counter()
        ref = lanms_reference(q, s, 0.2)
        t_ref = time.perf_counter() - t0
        if args.ref_repeats > 1:
            t_ref = median_seconds(lambda: lanms_reference(q, s, 0.2), args.ref_repeats)
        same = len(got.scores) == len(ref.scores) and np.allclose(got.quads, ref.quads, atol=1e-4)
        rows.append({"boxes": n, "kept": int(len(got.scores)), "core_ms": t_core * 1e3,
                     "shapely_ms": t_ref * 1e3, "speedup": t_ref / t_core, "same_result": bool(same)})
    print(f"{'boxes':>7} {'kept':>5} {'core ms':>9} {'shapely ms':>11} {'speed-up':>9} {'same':>5}")
    for r in rows:
        print(f"{r['boxes']:>7} {r['kept']:>5} {r['core_ms']:>9.3f} {r['shapely_ms']:>11.1f} "
              f"{r['speedup']:>8.0f}x {str(r['same_result']):>5}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"bench": "lanms", "machine": platform.processor() or platform.machine(),
                   "repeats": args.repeats, "rows": rows}, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
