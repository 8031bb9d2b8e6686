"""Selective style transfer speed: two-stage (TextFCN + StyleNet + blend) vs distilled (one network).

Images per second at 512x512 RGB, public NumPy API end to end (``stylize_batch``: uint8 in, uint8 out),
median of repeats, in one run, of the shipped models (or your checkpoints with --teacher / --distilled):

- teacher: ``style_default`` (the paper's StyleNet, base 32 channels, 5 residual blocks);
- distilled: ``style_default_distilled`` (a 16-channel, 3-block style branch and a TextFCN gate branch,
  both run at every call), or each of ``--distilled A B ...`` (one row each; ratios against the first);
- two-stage: the teacher with ``--fcn`` (default: the shipped default TextFCN) and, with --vgg-fcn,
  FCN-8s on VGG16 (the thesis' TextFCN, untrained: speed does not depend on the weights), both at the
  default blend threshold.

    python benchmarks/bench_style.py [--size 512] [--batch 2] [--repeats 3] [--threads 1] [--vgg-fcn] \
        [--distilled default-distilled OTHER.pt]

Writes benchmarks/results/style.json. GPU rows are added when CUDA is available.
"""
from __future__ import annotations

import argparse
import json
import os
import platform

import numpy as np
import torch
from _timing import median_seconds  # benchmarks/ is sys.path[0] when run as a script

from textvision.models.style import style_net
from textvision.style import stylize_batch


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--teacher", default="default", help="two-stage style model (registry name or checkpoint)")
    ap.add_argument("--distilled", nargs="+", default=["default-distilled"],
                    help="distilled models (registry names or checkpoints); ratios against the first")
    ap.add_argument("--fcn", default="default", help="TextFCN of the two-stage row (registry name or checkpoint)")
    ap.add_argument("--vgg-fcn", action="store_true", help="also time two-stage with FCN-8s/VGG16")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "style.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from textvision.models.text_fcn import text_fcn

    torch.manual_seed(0)
    teacher = style_net(weights=args.teacher)
    distilled = [(os.path.basename(str(w)), style_net(weights=w)) for w in args.distilled]
    fcns = {f"TextFCN {args.fcn}": text_fcn(weights=args.fcn).eval()}
    if args.vgg_fcn:
        fcns["TextFCN FCN-8s/VGG16"] = text_fcn("vgg16").eval()
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8) for _ in range(args.batch)]

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for dev in devices:
        teacher.to(dev)
        t_dist = None
        for name, net in distilled:
            net.to(dev)
            t = median_seconds(lambda: stylize_batch(images, net, 0, mode="distilled", batch_size=args.batch, device=dev),
                               args.repeats, warmup=1)
            t_dist = t_dist or t
            rows.append({"device": dev, "method": f"distilled {name} (one network)", "seconds": t,
                         "images_per_s": args.batch / t, "ratio_vs_distilled": t / t_dist})
        for name, fcn in fcns.items():
            fcn.to(dev)
            t = median_seconds(lambda: stylize_batch(images, teacher, 0, mode="two-stage", fcn=fcn,
                                                     batch_size=args.batch, device=dev), args.repeats, warmup=1)
            rows.append({"device": dev, "method": f"two-stage ({name} + StyleNet + blend)", "seconds": t,
                         "images_per_s": args.batch / t, "ratio_vs_distilled": t / t_dist})
    print(f"{args.batch} images {args.size}x{args.size}, median of {args.repeats}, torch threads {args.threads}; "
          f"teacher {teacher.config}; distilled {[net.config for _, net in distilled]}")
    print(f"{'device':6s} {'method':52s} {'images/s':>9s} {'time vs distilled':>18s}")
    for r in rows:
        print(f"{r['device']:6s} {r['method']:52s} {r['images_per_s']:9.3f} {r['ratio_vs_distilled']:17.2f}x")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"size": args.size, "batch": args.batch, "repeats": args.repeats, "threads": args.threads,
                   "stylenet": teacher.config, "distilled": {n: net.config for n, net in distilled}, "fcn": args.fcn, "machine": platform.processor() or platform.machine(),
                   "torch": torch.__version__, "rows": rows}, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
