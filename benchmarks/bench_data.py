"""Speed of the data and evaluation tools, each beside a slower / simpler path, in one run.

1. ``render_scene`` at 512x512 (scenes/s, one process): default scenes vs clean ones (``effects=False``),
   and ``write_synth_dataset`` (what ``textvision synth`` runs: render + JPEG + mask PNG + gt, atomic
   writes) with 1 and 2 worker processes.
2. ``detection_rate`` for 10^5 ranked proposals x 50 word boxes vs a one-shot full IoU matrix in NumPy
   and a per-word Python loop.
3. ``icdar2015`` on 500 images (~10 words, ~10 detections each) vs a per-pair shapely loop
   (the same protocol written as the official script does, one ``Polygon`` pair at a time).

    python benchmarks/bench_data.py            # ~1-2 minutes on 2 cores
    python benchmarks/bench_data.py --quick    # fewer repeats

Prints a table of medians and writes ``benchmarks/results/data.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def _median_time(fn, repeats):
    """Median wall time, and the per-repeat wall and CPU (this process) times."""
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), {"wall_s": times, "cpu_s": cpu, "cpu_median_s": statistics.median(cpu)}


def bench_render(repeats, n):
    from textvision.data.synth import render_scene

    out = {}
    for label, kw in (("render_scene 512x512 (default)", {}), ("render_scene 512x512 (effects=False)", {"effects": False})):
        seeds = iter(range(10 ** 6))

        def run():
            for _ in range(n):
                render_scene(next(seeds), (512, 512), **kw)

        run()  # warm-up (font cache, imports)
        med, times = _median_time(run, repeats)
        out[label] = {"unit": "scenes/s", "value": n / med, "median_s": med / n, "times": times, "n": n,
                      "cpu_value": n / times["cpu_median_s"]}
    return out


def bench_writer(n, workers_list):
    from textvision.data.synth_writer import write_synth_dataset

    out = {}
    import resource

    def cpu_now():
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    for workers in workers_list:
        with tempfile.TemporaryDirectory() as tmp:
            c0 = cpu_now()
            stats = write_synth_dataset(Path(tmp) / "syn", n, size=(512, 512), seed=workers, workers=workers)
            cpu = cpu_now() - c0  # this process and its (finished) worker processes
        out[f"textvision synth 512x512, {workers} worker(s)"] = {
            "unit": "scenes/s", "value": stats.scenes_per_s, "median_s": stats.seconds / n, "n": n,
            "cpu_value": n / cpu}
    return out


def _proposals(rng, P=100_000, G=50):
    xy = rng.uniform(0, 1000, (P, 2))
    props = np.hstack([xy, xy + rng.uniform(4, 200, (P, 2))])
    gt = props[rng.integers(0, P, G)] + rng.normal(0, 5, (G, 4))
    gt[:, 2:] = np.maximum(gt[:, 2:], gt[:, :2] + 2)
    return props, gt


def _full_matrix_rate(props, gt, ks=(10, 100, 1000, None)):
    iw = np.clip(np.minimum(props[:, None, 2], gt[None, :, 2]) - np.maximum(props[:, None, 0], gt[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(props[:, None, 3], gt[None, :, 3]) - np.maximum(props[:, None, 1], gt[None, :, 1]), 0, None)
    inter = iw * ih
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    iou = inter / (area(props)[:, None] + area(gt)[None, :] - inter)
    hit = iou >= 0.5
    first = np.where(hit.any(0), hit.argmax(0), -1)
    return {k: float(np.mean((first >= 0) & ((first < k) if k else True))) for k in ks}


def _loop_rate(props, gt, ks=(10, 100, 1000, None)):
    first = []
    area_p = (props[:, 2] - props[:, 0]) * (props[:, 3] - props[:, 1])
    for g in gt:
        iw = np.clip(np.minimum(props[:, 2], g[2]) - np.maximum(props[:, 0], g[0]), 0, None)
        ih = np.clip(np.minimum(props[:, 3], g[3]) - np.maximum(props[:, 1], g[1]), 0, None)
        inter = iw * ih
        iou = inter / (area_p + (g[2] - g[0]) * (g[3] - g[1]) - inter)
        idx = np.nonzero(iou >= 0.5)[0]
        first.append(idx[0] if len(idx) else -1)
    first = np.array(first)
    return {k: float(np.mean((first >= 0) & ((first < k) if k else True))) for k in ks}


def bench_detection_rate(repeats):
    from textvision.eval import detection_rate

    props, gt = _proposals(np.random.default_rng(0))
    ref = detection_rate(props, gt)
    assert _full_matrix_rate(props, gt) == dict(zip(ref.ks, ref.recall)) == _loop_rate(props, gt)
    out = {}
    for label, fn in (("detection_rate 1e5 x 50 (textvision)", lambda: detection_rate(props, gt)),
                      ("detection_rate 1e5 x 50 (full IoU matrix, NumPy)", lambda: _full_matrix_rate(props, gt)),
                      ("detection_rate 1e5 x 50 (per-word loop, NumPy)", lambda: _loop_rate(props, gt))):
        fn()
        med, times = _median_time(fn, repeats)
        out[label] = {"unit": "ms", "value": med * 1e3, "median_s": med, "times": times,
                      "cpu_value": times["cpu_median_s"] * 1e3}
    return out, ref


def _eval_inputs(rng, n_images=500):
    gts, dets = [], []
    for _ in range(n_images):
        n = int(rng.integers(5, 16))
        c = rng.uniform(50, 950, (n, 2))
        wh = np.stack([rng.uniform(20, 120, n), rng.uniform(8, 40, n)], 1)
        t = rng.uniform(-0.5, 0.5, n)
        base = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) / 2
        quads = []
        for ci, whi, ti in zip(c, wh, t):
            R = np.array([[np.cos(ti), -np.sin(ti)], [np.sin(ti), np.cos(ti)]])
            quads.append((base * whi) @ R.T + ci)
        quads = np.array(quads)
        ignore = rng.random(n) < 0.1
        keep = rng.random(n) < 0.85
        det = quads[keep] + rng.normal(0, 2.5, (int(keep.sum()), 4, 2))
        extra = rng.uniform(0, 1000, (int(rng.integers(0, 4)), 1, 2)) + base[None] * 40
        gts.append((quads, ignore))
        dets.append(np.concatenate([det, extra]))
    return gts, dets


def _pairwise_shapely(gts, dets):
    from shapely import make_valid
    from shapely.geometry import Polygon

    def poly(q):
        p = Polygon(q)
        return p if p.is_valid else make_valid(p)

    matched = n_gt = n_det = 0
    for (gq, gi), dq in zip(gts, dets):
        gp = [poly(q) for q in gq]
        dp = [poly(q) for q in dq]
        dc = set()
        for j, d in enumerate(dp):
            for i, g in enumerate(gp):
                if gi[i] and d.area > 0 and d.intersection(g).area / d.area > 0.5:
                    dc.add(j)
                    break
        gm, dm = [False] * len(gp), [False] * len(dp)
        for i, g in enumerate(gp):
            for j, d in enumerate(dp):
                if not gm[i] and not dm[j] and not gi[i] and j not in dc:
                    inter = g.intersection(d).area
                    if inter / (g.area + d.area - inter) > 0.5:
                        gm[i] = dm[j] = True
                        matched += 1
        n_gt += len(gp) - int(np.sum(gi))
        n_det += len(dp) - len(dc)
    return matched, n_gt, n_det


def bench_icdar2015(repeats):
    from textvision.eval import icdar2015

    gts, dets = _eval_inputs(np.random.default_rng(1))
    r = icdar2015(gts, dets)
    assert (r.gt_matched, r.num_gt, r.num_det) == _pairwise_shapely(gts, dets)
    out = {}
    for label, fn in (("icdar2015 500 images (textvision)", lambda: icdar2015(gts, dets)),
                      ("icdar2015 500 images (per-pair shapely loop)", lambda: _pairwise_shapely(gts, dets))):
        med, times = _median_time(fn, repeats)
        out[label] = {"unit": "ms", "value": med * 1e3, "median_s": med, "times": times,
                      "cpu_value": times["cpu_median_s"] * 1e3}
    return out, {"precision": r.precision, "recall": r.recall, "hmean": r.hmean}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "data.json"))
    args = ap.parse_args()
    rep = 3 if args.quick else 5
    results = {}
    results.update(bench_render(rep, 10 if args.quick else 20))
    results.update(bench_writer(40 if args.quick else 100, (1, 2)))
    dr, rates = bench_detection_rate(rep + 2)
    results.update(dr)
    ic, metrics = bench_icdar2015(rep)
    results.update(ic)

    print(f"\n{'benchmark':<52} {'median (wall)':>18} {'ratio':>6} {'median (CPU)':>13}")
    groups = [("render_scene", "scenes/s"), ("textvision synth", "scenes/s"), ("detection_rate", "ms"), ("icdar2015", "ms")]
    for prefix, unit in groups:
        rows = [(k, v) for k, v in results.items() if k.startswith(prefix)]
        base = rows[0][1]["value"]
        for k, v in rows:
            cpu = f"{v['cpu_value']:>9.1f}" if "cpu_value" in v else f"{'-':>9}"
            print(f"{k:<52} {v['value']:>9.1f} {unit:<8} x{v['value'] / base:>5.2f} {cpu}")
    meta = {"load_average": os.getloadavg(), "python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
            "machine": platform.machine(), "detection_rate_example": rates.as_dict(),
            "icdar2015_example": metrics}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
