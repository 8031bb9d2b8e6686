"""Wall time of ``textvision.propose`` with 1 and 2 (or more) threads on the same photographs, in one run.

    python benchmarks/bench_propose_threads.py --photos DIR [--glob 'scenetext0*'] [--threads 1,2] [--repeat 3] [--size WxH]

Prints the median wall seconds per photo for each thread count and the speed-up over one thread, for the whole
call and its two parts (the TextFCN map; TextProposals on it, ranking included), and the CPU time of two short
stages; run it on an otherwise idle machine (the figure is about spare cores). Writes
benchmarks/results/propose_threads.json.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import statistics
import time

import textvision
from textvision import io


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", required=True, help="folder of photographs")
    ap.add_argument("--glob", default="*", help="file name pattern")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--repeat", type=int, default=3, help="runs per photo and thread count (median)")
    ap.add_argument("--size", default=None, help="WxH every photo is resized to first (default: as they are)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "propose_threads.json"))
    args = ap.parse_args(argv)
    paths = [p for p in io.list_images(args.photos) if fnmatch.fnmatch(p.name, args.glob)]
    if not paths:
        raise SystemExit(f"no photo matching {args.glob!r} in {args.photos}")
    counts = [int(t) for t in args.threads.split(",")]
    images = [io.read_rgb(p) for p in paths]
    if args.size:
        import cv2
        w, h = (int(v) for v in args.size.lower().split("x"))
        images = [cv2.resize(im, (w, h), interpolation=cv2.INTER_AREA if im.shape[1] > w else cv2.INTER_LINEAR)
                  for im in images]
    textvision.propose(images[0][:256, :256])  # warm-up: model load, first-call allocations
    # The call; its TextFCN map; TextProposals on that map (with ranking); and propose(heatmap=) given the map,
    # timed on its own (no torch pass just before it).
    parts = ("total", "map", "proposals", "map given")
    per = {n: {k: [] for k in parts} for n in counts}
    serial = {"prepare": [], "rank": []}  # one-thread CPU seconds of two short stages (see the last line printed)
    for img in images:
        hm = textvision.segment(img)
        for n in counts:  # interleaved, so a change of machine load hits every count alike
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                p = textvision.propose(img, num_threads=n)
                t1 = time.perf_counter()
                textvision.propose(img, hm, num_threads=n)
                runs.append((t1 - t0, p.stats["wall_heatmap"], p.stats["wall"], time.perf_counter() - t1))
                if n == 1:
                    serial["prepare"].append(p.stats["time"]["prepare"])
                    serial["rank"].append(p.stats["time"]["rank"])
            for k, v in zip(parts, zip(*runs)):
                per[n][k].append(statistics.median(v))
    med = {n: {k: statistics.median(v) for k, v in per[n].items()} for n in counts}
    base = med[counts[0]]
    size = args.size or "own sizes"
    print(f"{len(images)} photos from {args.photos} ({args.glob}, {size}); median wall s per photo, median of {args.repeat}")
    for n in counts:
        print(f"  {n} thread(s): " + ", ".join(f"{k} {med[n][k]:.3f} s ({base[k] / med[n][k]:.2f}x)" for k in parts))
    ser = {k: statistics.median(v) for k, v in serial.items()}
    print(f"  one-thread CPU per photo (median): preparing the channel images {1e3 * ser['prepare']:.1f} ms (split "
          f"over the threads), ranking {1e3 * ser['rank']:.1f} ms (the heatmap evidence split, the rest on one core)")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"photos": [p.name for p in paths], "size": size, "cpu_count": os.cpu_count(), "repeat": args.repeat,
                   "median_wall_s": {str(n): med[n]["total"] for n in counts},
                   "median_parts_s": {str(n): med[n] for n in counts}, "serial_cpu_s": ser,
                   "per_photo_s": {str(n): per[n]["total"] for n in counts}}, f, indent=1)


if __name__ == "__main__":
    main()
