"""MSER and FCN-guided pruning: textvision.ops against cv2.MSER + NumPy, side by side.

Run from the repository root:

    python benchmarks/bench_mser.py            # writes benchmarks/results/mser.json

Images: the street photographs ``../shared/data/opencv-text-samples/scenetext0*.jpg`` when that
folder exists (grey, resized to each benchmark size), otherwise generated text scenes (the script
says which). The text-probability map is a synthetic stand-in (stroke contrast, blurred, in [0, 1]),
so that the benchmark does not depend on trained weights; the timings do not depend on its values
beyond the fraction of regions kept, which is printed.

Sections:
1. ``mser`` vs ``cv2.MSER_create(...).detectRegions`` with the same parameters (OpenCV defaults and
   the TextProposals preset), with and without our pixel lists (cv2 always builds them);
2. pruning end to end: ``mser(grey, prob=, min_prob=0.1)`` vs cv2 MSER + converting its point lists
   to CSR + NumPy averaging (``np.add.reduceat``) + filtering;
3. ``region_mean`` / ``box_mean`` against the memory-bandwidth bound of reading the map once;
4. whether our regions equal cv2's (boxes and areas) on every photograph at its own size;
5. thread scaling (``--threads``, default 1, 2 and all cores; ``--scaling-only`` runs just this):
   wall medians of ours with pixel lists, both polarities and the dark one alone, at each
   ``num_threads``, against cv2 with ``cv2.setNumThreads(1)`` and with the same thread count.

Times are per image, the median over repeats of the calling thread's CPU time (``time.thread_time``;
both libraries are single-threaded here), which is steadier than wall time on a shared machine; wall
medians are in the JSON too. Sections 1 and 2 also time ours with ``num_threads=2`` (the two
polarities flood on two threads): those columns compare wall times, since the second thread's CPU
time is not the caller's; they are only meaningful on an otherwise idle machine with 2+ cores.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import sys
import time

import cv2
import numpy as np

from textvision import ops

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data", "opencv-text-samples")


def load_images(width, height, n_generated=6):
    files = sorted(glob.glob(os.path.join(SHARED, "scenetext0*.jpg")))
    if files:
        imgs = [cv2.cvtColor(cv2.resize(cv2.imread(f), (width, height), interpolation=cv2.INTER_AREA),
                             cv2.COLOR_BGR2GRAY) for f in files]
        return imgs, f"{len(files)} photographs from ../shared/data/opencv-text-samples"
    return [generated_scene(s, height, width) for s in range(n_generated)], \
        f"{n_generated} generated text scenes (../shared/data not found)"


def generated_scene(seed, h, w):
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.normal(128, 40, (h // 12, w // 12)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    img += rng.normal(0, 6, (h, w)).astype(np.float32)
    for _ in range(12):
        cv2.putText(img, "Text %d" % rng.integers(1000), (int(rng.integers(0, w - 100)), int(rng.integers(30, h))),
                    cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.6, 2.5)), int(rng.choice([20, 235])),
                    int(rng.integers(1, 5)), cv2.LINE_AA)
    return np.clip(img, 0, 255).astype(np.uint8)


def stand_in_heatmap(grey):
    """float32 HxW in [0, 1]: black-hat + top-hat stroke contrast, blurred and sharpened (cubed) so
    that, like a real text map, it is low almost everywhere (about half the regions survive 0.1)."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    c = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, k).astype(np.float32) + \
        cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, k).astype(np.float32)
    c = cv2.GaussianBlur(c, (0, 0), 3)
    return (np.clip(c / max(float(np.percentile(c, 99.9)), 1e-6), 0, 1) ** 3).astype(np.float32)


def timeit(fn, repeats):
    cpu, wall = [], []
    for _ in range(repeats):
        t0, w0 = time.thread_time(), time.perf_counter()
        fn()
        cpu.append(time.thread_time() - t0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(cpu)), float(np.median(wall))


def cv2_prune(mser_obj, grey, prob, min_prob):
    """The cv2 way: detect, convert point lists to CSR, average with NumPy, filter."""
    pts, bboxes = mser_obj.detectRegions(grey)
    off, idx = ops.points_to_csr(pts, grey.shape[1])
    sizes = np.diff(off)
    means = np.add.reduceat(prob.ravel()[idx], off[:-1].astype(np.intp)) / sizes if len(pts) else np.zeros(0)
    keep = means >= min_prob
    return np.asarray(bboxes).reshape(-1, 4)[keep], means[keep]


def cv2_prune_loop(mser_obj, grey, prob, min_prob):
    """What many scripts do: one NumPy mean per cv2 point list, in a Python loop."""
    pts, bboxes = mser_obj.detectRegions(grey)
    means = np.array([prob[p[:, 1], p[:, 0]].mean() for p in pts])
    keep = means >= min_prob
    return np.asarray(bboxes).reshape(-1, 4)[keep], means[keep]


def same_as_cv2(ours, pts, bboxes):
    """True when our regions and cv2's are the same multiset of (box, area) (x2/y2 exclusive)."""
    b = np.asarray(bboxes, np.int64).reshape(-1, 4)
    ref = np.c_[b[:, :2], b[:, :2] + b[:, 2:], np.array([len(p) for p in pts], np.int64)]
    mine = np.c_[ours.boxes.astype(np.int64), ours.areas.astype(np.int64)]
    if mine.shape != ref.shape:
        return False
    return bool(np.array_equal(mine[np.lexsort(mine.T)], ref[np.lexsort(ref.T)]))


def read_bandwidth_gbs():
    """Streaming read bandwidth of this machine (GB/s), from summing a 256 MiB array."""
    big = np.ones(64 * 2**20, np.float32)
    big.sum()
    t = min(timeit(big.sum, 3))
    return big.nbytes / t / 1e9


def run(sizes, repeats, min_prob):
    cv2.setNumThreads(1)
    results = {"env": {"python": platform.python_version(), "numpy": np.__version__, "opencv": cv2.__version__,
                       "machine": platform.machine(), "cpus": os.cpu_count(),
                       "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
                       "timer": "median of per-call thread CPU time; wall medians alongside"},
               "repeats": repeats, "min_prob": min_prob, "sizes": {}}
    bw = read_bandwidth_gbs()
    results["read_bandwidth_GBps"] = bw
    rows1, rows2, rows3 = [], [], []
    for (w, h) in sizes:
        imgs, source = load_images(w, h)
        probs = [stand_in_heatmap(g) for g in imgs]
        key = f"{w}x{h}"
        res = results["sizes"][key] = {"images": source, "mser": {}, "pruning": {}, "means": {}}
        print(f"\n{key}: {source}", flush=True)
        # 1. plain MSER
        for preset, params in (("opencv-defaults", dict(ops.OPENCV_DEFAULTS)),
                               ("textproposals", ops.textproposals_params(h, w))):
            m = cv2.MSER_create(**params)
            acc = {"ours": [], "ours_pixels": [], "cv2": [], "ours_pixels_2threads": []}
            n_regions, agree = [], 0
            for g in imgs:
                agree += same_as_cv2(ops.mser(g, **params), *m.detectRegions(g))
                acc["ours"].append(timeit(lambda: ops.mser(g, **params), repeats))
                acc["ours_pixels"].append(timeit(lambda: ops.mser(g, return_pixels=True, **params), repeats))
                acc["cv2"].append(timeit(lambda: m.detectRegions(g), repeats))
                acc["ours_pixels_2threads"].append(
                    timeit(lambda: ops.mser(g, return_pixels=True, num_threads=2, **params), repeats))
                n_regions.append(len(ops.mser(g, **params)))
            ms = {k: 1e3 * float(np.mean([c for c, _ in v])) for k, v in acc.items()}
            wall = {k: 1e3 * float(np.mean([wl for _, wl in v])) for k, v in acc.items()}
            entry = {"params": params, "regions_per_image": float(np.mean(n_regions)), "ms": ms, "wall_ms": wall,
                     "speedup": ms["cv2"] / ms["ours"], "speedup_with_pixels": ms["cv2"] / ms["ours_pixels"],
                     "wall_speedup_with_pixels_2threads": wall["cv2"] / wall["ours_pixels_2threads"],
                     "images_with_same_regions_as_cv2": f"{agree}/{len(imgs)}"}
            res["mser"][preset] = entry
            rows1.append((key, preset, entry["regions_per_image"], ms["ours"], ms["ours_pixels"], ms["cv2"],
                          entry["speedup"], entry["speedup_with_pixels"], wall["ours_pixels_2threads"], wall["cv2"],
                          entry["wall_speedup_with_pixels_2threads"], f"{agree}/{len(imgs)}"))
        # 2. pruning end to end (TextProposals preset, the pipeline that prunes)
        params = ops.textproposals_params(h, w)
        m = cv2.MSER_create(**params)
        ours_t, ref_t, loop_t, kept, total, two_t = [], [], [], [], [], []
        for g, p in zip(imgs, probs):
            r = ops.mser(g, prob=p, min_prob=min_prob, **params)
            ref_boxes, _ = cv2_prune(m, g, p, min_prob)
            assert len(r) == len(ref_boxes), "pruned region counts differ between the two paths"
            kept.append(len(r))
            total.append(len(ops.mser(g, **params)))
            ours_t.append(timeit(lambda: ops.mser(g, prob=p, min_prob=min_prob, **params), repeats))
            ref_t.append(timeit(lambda: cv2_prune(m, g, p, min_prob), repeats))
            two_t.append(timeit(lambda: ops.mser(g, prob=p, min_prob=min_prob, num_threads=2, **params), repeats))
            loop_t.append(timeit(lambda: cv2_prune_loop(m, g, p, min_prob), max(1, repeats // 2)))
        ours_ms, ref_ms = 1e3 * float(np.mean([c for c, _ in ours_t])), 1e3 * float(np.mean([c for c, _ in ref_t]))
        loop_ms = 1e3 * float(np.mean([c for c, _ in loop_t]))
        res["pruning"] = {"ms_ours": ours_ms, "ms_cv2_numpy": ref_ms, "speedup": ref_ms / ours_ms,
                          "ms_cv2_numpy_loop": loop_ms, "speedup_vs_loop": loop_ms / ours_ms,
                          "wall_ms_ours": 1e3 * float(np.mean([wl for _, wl in ours_t])),
                          "wall_ms_cv2_numpy": 1e3 * float(np.mean([wl for _, wl in ref_t])),
                          "wall_ms_ours_2threads": 1e3 * float(np.mean([wl for _, wl in two_t])),
                          "regions_per_image": float(np.mean(total)), "kept_per_image": float(np.mean(kept))}
        pr = res["pruning"]
        pr["wall_speedup_2threads"] = pr["wall_ms_cv2_numpy"] / pr["wall_ms_ours_2threads"]
        rows2.append((key, np.mean(total), np.mean(kept), ours_ms, ref_ms, ref_ms / ours_ms, loop_ms, loop_ms / ours_ms,
                      pr["wall_ms_ours_2threads"], pr["wall_ms_cv2_numpy"], pr["wall_speedup_2threads"]))
        # 3. region_mean / box_mean throughput (on cv2's regions of the first image)
        g, p = imgs[0], probs[0]
        pts, _ = m.detectRegions(g)
        off, idx = ops.points_to_csr(pts, w)
        boxes = ops.mser(g, **params).boxes
        map_bytes = p.nbytes
        for name, fn, nbytes in (
                ("region_mean", lambda: ops.region_mean(p, off, idx), map_bytes + 8 * idx.size),
                ("box_mean", lambda: ops.box_mean(p, boxes), map_bytes),
                ("numpy reduceat", lambda: np.add.reduceat(p.ravel()[idx], off[:-1].astype(np.intp)),
                 map_bytes + 8 * idx.size)):
            t = timeit(fn, repeats)[0]
            bound = map_bytes / (bw * 1e9)
            res["means"][name] = {"ms": 1e3 * t, "map_read_bound_ms": 1e3 * bound, "x_bound": t / bound,
                                  "bytes_touched": nbytes, "n": int(len(off) - 1 if name != "box_mean" else len(boxes)),
                                  "pixels_listed": int(idx.size)}
            rows3.append((key, name, res["means"][name]["n"], 1e3 * t, 1e3 * bound, t / bound))
    results["tables"] = {"mser": rows1, "pruning": rows2, "means": rows3}
    results["same_as_cv2_full_size"] = agreement_full_size()
    return results


def agreement_full_size():
    """Every photograph in ../shared/data at its own size (grey and its blue channel, both presets,
    ours with num_threads=2): does the (box, area) multiset equal cv2's? None without the folder."""
    files = sorted(glob.glob(os.path.join(SHARED, "*.jpg")))
    if not files:
        return None
    same = total = 0
    for f in files:
        bgr = cv2.imread(f)
        for plane in (cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), np.ascontiguousarray(bgr[:, :, 0])):
            h, w = plane.shape
            for params in (dict(ops.OPENCV_DEFAULTS), ops.textproposals_params(h, w)):
                total += 1
                same += same_as_cv2(ops.mser(plane, num_threads=2, **params),
                                    *cv2.MSER_create(**params).detectRegions(plane))
    return {"photographs": len(files), "same": same, "cases": total}


def scaling(sizes, repeats, threads):
    """Section 5: wall medians (ms per image, mean over images) for each thread count."""
    rows = []
    for (w, h) in sizes:
        imgs, source = load_images(w, h)
        params = ops.textproposals_params(h, w)
        m = cv2.MSER_create(**params)
        for t in threads:
            acc = {k: [] for k in ("both", "dark", "cv2_1", "cv2_t")}
            for g in imgs:
                acc["both"].append(timeit(lambda: ops.mser(g, return_pixels=True, num_threads=t, **params),
                                          repeats)[1])
                acc["dark"].append(timeit(lambda: ops.mser(g, polarity="dark", return_pixels=True, num_threads=t,
                                                           **params), repeats)[1])
                before = cv2.getNumThreads()
                try:
                    cv2.setNumThreads(1)
                    acc["cv2_1"].append(timeit(lambda: m.detectRegions(g), repeats)[1])
                    cv2.setNumThreads(t)
                    acc["cv2_t"].append(timeit(lambda: m.detectRegions(g), repeats)[1])
                finally:
                    cv2.setNumThreads(before)
            rows.append({"size": f"{w}x{h}", "source": source, "threads": t,
                         "wall_ms": {k: 1e3 * float(np.mean(v)) for k, v in acc.items()}})
    for r in rows:  # ratios against the same size's one-thread row of this run
        one = next(o for o in rows if o["size"] == r["size"] and o["threads"] == min(threads))["wall_ms"]
        ms = r["wall_ms"]
        r["x_both_vs_1"] = one["both"] / ms["both"]
        r["x_dark_vs_1"] = one["dark"] / ms["dark"]
        r["x_both_vs_cv2_1"] = ms["cv2_1"] / ms["both"]
        r["x_both_vs_cv2_t"] = ms["cv2_t"] / ms["both"]
    return rows


def print_scaling(rows):
    print("\n5. Thread scaling, TextProposals preset, with pixel lists (wall ms per image; the machine should be"
          " otherwise idle)")
    print(f"{'size':>9} {'t':>3} {'both':>7} {'x vs 1':>7} {'dark':>7} {'x vs 1':>7} {'cv2 1thr':>9} {'cv2 t thr':>10}"
          f" {'both x cv2 1':>13} {'both x cv2 t':>13}")
    for r in rows:
        ms = r["wall_ms"]
        print(f"{r['size']:>9} {r['threads']:3d} {ms['both']:7.1f} {r['x_both_vs_1']:7.2f} {ms['dark']:7.1f}"
              f" {r['x_dark_vs_1']:7.2f} {ms['cv2_1']:9.1f} {ms['cv2_t']:10.1f} {r['x_both_vs_cv2_1']:13.2f}"
              f" {r['x_both_vs_cv2_t']:13.2f}")


def print_tables(res):
    print("\n1. MSER per image (ms; one thread: thread CPU time, cv2 always returns pixel lists;"
          " 2 thr: ours with pixels and num_threads=2 (one flood per polarity) vs cv2, wall time)")
    print(f"{'size':>9} {'preset':>16} {'regions':>8} {'ours':>8} {'ours+pix':>9} {'cv2':>8} {'x':>6} {'x(pix)':>7}"
          f" {'2thr wall':>10} {'cv2 wall':>9} {'x':>6} {'same as cv2':>12}")
    for key, preset, n, a, b, c, s1, s2, w2, wc, s3, same in res["tables"]["mser"]:
        print(f"{key:>9} {preset:>16} {n:8.0f} {a:8.1f} {b:9.1f} {c:8.1f} {s1:6.2f} {s2:7.2f}"
              f" {w2:10.1f} {wc:9.1f} {s3:6.2f} {same:>12}")
    print(f"\n2. Pruning end to end, TextProposals preset, min_prob={res['min_prob']} (ms per image)")
    print("   cv2+numpy: detectRegions + points_to_csr + np.add.reduceat + filter (vectorised);"
          " cv2+loop: one NumPy mean per point list")
    print("   (thread CPU time; the last three columns: ours with num_threads=2 vs cv2+numpy, wall time)")
    print(f"{'size':>9} {'regions':>8} {'kept':>7} {'ours':>8} {'cv2+numpy':>10} {'x':>6} {'cv2+loop':>9} {'x':>6}"
          f" {'2thr wall':>10} {'cv2 wall':>9} {'x':>6}")
    for key, n, k, a, b, s, c, s2, w2, wc, s3 in res["tables"]["pruning"]:
        print(f"{key:>9} {n:8.0f} {k:7.0f} {a:8.1f} {b:10.1f} {s:6.2f} {c:9.1f} {s2:6.2f}"
              f" {w2:10.1f} {wc:9.1f} {s3:6.2f}")
    print(f"\n3. Means over regions (read bandwidth {res['read_bandwidth_GBps']:.1f} GB/s; "
          "bound = reading the float32 map once)")
    print(f"{'size':>9} {'op':>15} {'n':>7} {'ms':>8} {'bound ms':>9} {'x bound':>8}")
    for key, name, n, t, bnd, x in res["tables"]["means"]:
        print(f"{key:>9} {name:>15} {n:7d} {t:8.3f} {bnd:9.3f} {x:8.1f}")
    a = res.get("same_as_cv2_full_size")
    if a:
        print(f"\n4. Same regions as cv2 on every photograph at full size (grey + blue channel, both presets): "
              f"{a['same']}/{a['cases']} cases, {a['photographs']} photographs")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="640x480,1280x720")
    ap.add_argument("--min-prob", type=float, default=0.10, help="pruning threshold (FAST's public code: 0.10)")
    ap.add_argument("--threads", default=None,
                    help="comma-separated thread counts for section 5 (default: 1, 2 and all cores)")
    ap.add_argument("--scaling-only", action="store_true", help="run only section 5 (thread scaling)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "mser.json"))
    args = ap.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    threads = sorted({int(t) for t in args.threads.split(",")}) if args.threads else sorted({1, 2, os.cpu_count() or 1})
    if args.scaling_only:  # keeps the other sections of an earlier full run in the same file
        res = {}
        if os.path.isfile(args.out):
            with open(args.out) as f:
                res = json.load(f)
    else:
        res = run(sizes, args.repeats, args.min_prob)
        print_tables(res)
    res["scaling"] = scaling(sizes, args.repeats, threads)
    print_scaling(res["scaling"])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"\nwrote {os.path.relpath(args.out, os.getcwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
