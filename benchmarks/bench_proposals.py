"""TextProposals: baseline vs FCN-guided pruning, side by side (thesis Tables 3.1 / 3.2 in shape).

Run from the repository root:

    python benchmarks/bench_proposals.py            # 10 synthetic 1280x720 scenes + ../shared photos
    python benchmarks/bench_proposals.py --images 4 --quick

Single thread. Times are CPU seconds of the working thread (medians over images): on a shared
machine they stay close to what a quiet one shows, wall time does not. Detection rate: fraction of
ground-truth words hit at IoU >= 0.5 by the top 10 / 100 / 1000 / all proposals, pooled over images.
Reference numbers from the issue (original C++ TextProposals, 2-core x86, single thread, ICDAR 2015
1280x720): 1.82 s per image (MSER 0.28 s, region features 0.39 s), ~13k unique proposals,
detection rate 0.29 / 0.67 / 0.81 / 0.95 (0.48 / 0.81 / 0.95 / 0.95 with a perfect map).

Writes benchmarks/results/proposals.json.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import platform
from pathlib import Path

from _proposals_bench import floor_rows, single_thread_fcn  # benchmarks/ is sys.path[0] when run as a script

from textvision.io import atomic_write_text, read_rgb
from textvision.proposals.compare import default_fcn_available, default_methods, format_table, run_methods
from textvision.proposals.train import AnnotatedImage, iter_samples

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT.parent / "shared" / "data" / "opencv-text-samples"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=10, help="synthetic scenes (default 10)")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "proposals.json"))
    ap.add_argument("--quick", action="store_true", help="skip the photographs and the FCN runs")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2

    cv2.setNumThreads(1)

    result = {"machine": f"{platform.machine()} {os.cpu_count()} cores (shared)", "threads": 1, "sections": []}
    samples = list(iter_samples("synth", n=args.images, size=(720, 1280), seed=args.seed))
    methods = default_methods(True)
    sources = ["oracle"] + (["fcn"] if default_fcn_available() and not args.quick else [])
    print(f"# {len(samples)} synthetic 1280x720 scenes (seeds ({args.seed}, i)), single thread, CPU s per image")
    floor = floor_rows(samples)
    print(f"MSER alone on the 6 channel images: ours {floor['mser_alone']:.3f} s, OpenCV {floor['cv2_mser']:.3f} s")
    for src in sources:
        fcn = single_thread_fcn(None) if src == "fcn" else None
        ms = methods if src == "oracle" else {k: v for k, v in methods.items() if v.get("use_heatmap")}
        rows = run_methods(samples, ms, src, fcn)
        print(f"\n## heatmap: {src}")
        print(format_table(rows))
        for r in rows:
            r["ratio_to_mser_stage"] = r["time"]["total"] / r["time"]["mser"]
            r["ratio_to_mser_alone"] = r["time"]["total"] / floor["mser_alone"]
            r["speedup_vs_original_1.82s"] = 1.82 / r["time"]["total"]
        print("total / MSER alone: " + ", ".join(f"{r['method']} {r['ratio_to_mser_alone']:.2f}x" for r in rows))
        print("total / the pipeline's own MSER stage: " + ", ".join(
            f"{r['method']} {r['ratio_to_mser_stage']:.2f}x" for r in rows))
        print("speed-up vs the original's 1.82 s: " + ", ".join(
            f"{r['method']} {r['speedup_vs_original_1.82s']:.1f}x" for r in rows))
        result["sections"].append({"data": "synthetic 1280x720", "heatmap": src, "floor": floor, "rows": rows})

    photos = sorted(glob.glob(str(PHOTOS / "scenetext0*.jpg")))
    if args.quick:
        photos = []
    if not photos and not args.quick:
        print(f"\n(no photographs: {PHOTOS} is absent)")
    if photos:
        ps = []
        for f in photos:
            ps.append(AnnotatedImage(read_rgb(f), [], Path(f).name))
        src = "fcn" if default_fcn_available() else "none"
        fcn = single_thread_fcn(None) if src == "fcn" else None
        rows = run_methods(ps, methods, src, fcn)
        floor = floor_rows(ps)
        print(f"\n# {len(ps)} photographs {', '.join(p.name for p in ps)} (no ground truth; heatmap: {src})")
        print(f"MSER alone: ours {floor['mser_alone']:.3f} s, OpenCV {floor['cv2_mser']:.3f} s")
        print(format_table(rows))
        result["sections"].append({"data": "opencv-text-samples scenetext0*.jpg", "heatmap": src,
                                   "sizes": [list(p.image.shape[:2]) for p in ps], "floor": floor, "rows": rows})
    atomic_write_text(args.out, json.dumps(result, indent=1))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
