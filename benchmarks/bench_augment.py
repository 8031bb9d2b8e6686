"""Throughput of ``textvision augment`` at ICDAR 2015 size (1280x720): two-stage vs distilled, 1 vs 2 workers.

Builds an ICDAR 2015-layout set of synthetic 1280x720 JPEG scenes (``textvision.data.synth``) and runs
the real tool (:func:`textvision.augment.augment_dataset`: decode, TextFCN map for two-stage,
StyleNet, blend, JPEG encode, atomic writes) into a fresh DST per repeat. Style networks are full
size (Dumoulin et al.: 32/64/128 channels, 5 residual blocks) with random weights -- speed does not
depend on the weights. Two-stage uses the shipped TextFCN lite weights when present, otherwise a
random-init TextFCN lite of the same architecture (said in the output). Wall time includes process
start-up of the worker processes (they load torch and the models), as a user would see it; the
"in the loop" column is the time inside the workers' image loops only (what a long run converges to).

1 worker uses all CPU threads in one process; 2 workers are two processes with half the threads each.

    python benchmarks/bench_augment.py                    # CPU, 6 images, 3 repeats
    python benchmarks/bench_augment.py --device cuda --images 32

Prints a table (medians) and writes ``benchmarks/results/augment.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def build_inputs(root: Path, n: int, size=(720, 1280)) -> Path:
    import cv2

    from textvision.data import write_icdar2015
    from textvision.data.synth import render_scene

    src = root / "src"
    for i in range(1, n + 1):
        scene = render_scene((2024, i), size=size)
        (src / "images").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(src / "images" / f"img_{i}.jpg"), cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        write_icdar2015(src / "gt" / f"gt_img_{i}.txt", scene.instances)
    return src


def build_models(root: Path):
    import torch

    from textvision.models.style import StyleNet
    from textvision.models.text_fcn import TextFCN, save_text_fcn
    from textvision.style.inference import save_style_model
    from textvision.weights import entry_path, get_entry

    torch.manual_seed(0)
    names = ["a", "b", "c", "d"]
    teacher = root / "teacher.pt"
    distilled = root / "distilled.pt"
    save_style_model(StyleNet(4, names, kind="two-stage"), teacher)
    save_style_model(StyleNet(4, names, kind="distilled"), distilled)
    shipped = entry_path(get_entry("default", "text_fcn"))
    if shipped is not None and shipped.is_file():
        return teacher, distilled, None, "shipped TextFCN lite weights"
    fcn = root / "fcn_lite_random.pt"
    save_text_fcn(fcn, TextFCN("lite"))
    return teacher, distilled, fcn, "random-init TextFCN lite (no shipped weights found)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=6, help="source images (default 6)")
    ap.add_argument("--styles-per-image", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare (default 1,2)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "augment.json"))
    args = ap.parse_args(argv)

    import torch

    from textvision.augment import AugmentOptions, augment_dataset

    threads = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    torch.set_num_threads(threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench_augment_"))
    try:
        src = build_inputs(tmp, args.images)
        teacher, distilled, fcn, fcn_note = build_models(tmp)
        results = []
        for mode, model in (("two-stage", teacher), ("distilled", distilled)):
            for workers in (int(w) for w in args.workers.split(",")):
                times, loops = [], []
                for r in range(args.repeats):
                    dst = tmp / f"dst_{mode}_{workers}_{r}"
                    opts = AugmentOptions("icdar2015", str(model), styles_per_image=args.styles_per_image,
                                          fcn=str(fcn) if (fcn and mode == "two-stage") else None,
                                          device=args.device, batch_size=args.styles_per_image)
                    t0 = time.perf_counter()
                    res = augment_dataset(src, dst, opts, workers=workers, progress=False)
                    times.append(time.perf_counter() - t0)
                    assert res.merged and res.summary["outputs"] == args.images * args.styles_per_image
                    # Inside the workers' loops (after process start, torch import and the scan).
                    loops.append(max(s["elapsed_s"] for s in res.summary["shards"]))
                    shutil.rmtree(dst)
                outputs = args.images * args.styles_per_image
                med, loop = statistics.median(times), statistics.median(loops)
                results.append({"mode": mode, "workers": workers, "median_s": round(med, 3),
                                "times_s": [round(t, 3) for t in times],
                                "images_per_min": round(60.0 * outputs / med, 2),
                                "s_per_image": round(med / outputs, 3),
                                "loop_median_s": round(loop, 3), "loop_times_s": [round(t, 3) for t in loops],
                                "loop_images_per_min": round(60.0 * outputs / loop, 2)})
                print(f"  {mode:9s} workers={workers}: {results[-1]['images_per_min']:.1f} img/min end to end, "
                      f"{results[-1]['loop_images_per_min']:.1f} in the loop (median of {args.repeats}: "
                      f"{med:.1f} s, {loop:.1f} s)", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base = {(r["mode"], r["workers"]): r["images_per_min"] for r in results}
    ref = base.get(("two-stage", 1))
    print(f"\naugment 1280x720, {args.images} images x {args.styles_per_image} style(s), device {args.device}, "
          f"{threads} CPU threads, median of {args.repeats}")
    print(f"{'mode':10s} {'workers':>7s} {'img/min':>8s} {'s/img':>7s} {'vs two-stage x1':>16s} "
          f"{'img/min in loop':>16s}")
    for r in results:
        ratio = r["images_per_min"] / ref if ref else float("nan")
        print(f"{r['mode']:10s} {r['workers']:7d} {r['images_per_min']:8.1f} {r['s_per_image']:7.2f} "
              f"{ratio:15.2f}x {r['loop_images_per_min']:16.1f}")
    payload = {"benchmark": "augment", "size": [720, 1280], "images": args.images,
               "styles_per_image": args.styles_per_image, "repeats": args.repeats, "device": args.device,
               "cpu_threads": threads, "fcn": fcn_note,
               "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
               "python": platform.python_version(),
               "torch": torch.__version__, "results": results,
               "command": "python benchmarks/bench_augment.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
