"""TextFCN speed: ``segment`` images/s at 512x512 (VGG16 FCN-8s vs lite) and training steps/s.

    python benchmarks/bench_text_fcn.py [--threads 2] [--repeats 5] [--device cpu|cuda]

Untrained weights (speed does not depend on their values). Prints a table of medians and writes
``benchmarks/results/fcn.json``. On a CUDA device the inference rows use bf16 autocast, as
``segment`` does.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import torch
from _timing import median_seconds  # benchmarks/ is sys.path[0] when run as a script

from textvision.models.text_fcn import text_fcn
from textvision.text_fcn import segment


def bench(device: str, repeats: int, train_repeats: int, skip_vgg: bool):
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    img = np.random.default_rng(0).integers(0, 256, (512, 512, 3), dtype=np.uint8)
    rows = []
    for name in ["lite"] + ([] if skip_vgg else ["vgg16"]):
        torch.manual_seed(0)
        model = text_fcn(name).to(dev).eval()
        params = sum(p.numel() for p in model.parameters())
        t = median_seconds(lambda: segment(img, model, max_side=512, device=dev), repeats, warmup=1, sync=sync)
        rows.append({"what": f"segment 512x512 ({name})", "model": name, "params": params,
                     "seconds": t, "per_s": 1.0 / t})
        # training step: AdamW, cross-entropy, batch of 256x256 crops (as train-text-fcn's default crop)
        bs = 8 if name == "lite" else 2
        x = torch.randn(bs, 3, 256, 256, device=dev)
        y = torch.randint(0, 2, (bs, 256, 256), device=dev)
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step():
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                out = model(x)
            loss = torch.nn.functional.cross_entropy(out.float(), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        t = median_seconds(step, train_repeats, warmup=1, sync=sync)
        rows.append({"what": f"train step, batch {bs}x256x256 ({name})", "model": name, "params": params,
                     "seconds": t, "per_s": 1.0 / t, "batch": bs})
        del model, opt
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--train-repeats", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--skip-vgg", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "fcn.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    rows = bench(args.device, args.repeats, args.train_repeats, args.skip_vgg)
    load_after = os.getloadavg()[0]
    by = {r["what"]: r for r in rows}
    lite_seg = by.get("segment 512x512 (lite)")
    vgg_seg = by.get("segment 512x512 (vgg16)")
    print(f"device {args.device}, torch {torch.__version__}, {args.threads} thread(s), medians of {args.repeats}; "
          f"1-min load average {load_before:.1f} before, {load_after:.1f} after on {os.cpu_count()} CPUs")
    print(f"{'what':42s} {'params':>12s} {'median s':>10s} {'per s':>9s}")
    for r in rows:
        print(f"{r['what']:42s} {r['params']:12,d} {r['seconds']:10.4f} {r['per_s']:9.2f}")
    ratios = {}
    if lite_seg and vgg_seg:
        ratios["segment_lite_vs_vgg16"] = vgg_seg["seconds"] / lite_seg["seconds"]
        lt, vt = by["train step, batch 8x256x256 (lite)"], by["train step, batch 2x256x256 (vgg16)"]
        # per training image, since the batch sizes differ
        ratios["train_images_lite_vs_vgg16"] = (lt["per_s"] * 8) / (vt["per_s"] * 2)
        print(f"lite is {ratios['segment_lite_vs_vgg16']:.1f}x faster than VGG16 FCN-8s in segment(), "
              f"{ratios['train_images_lite_vs_vgg16']:.1f}x in training images/s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "command": "python benchmarks/bench_text_fcn.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "device": args.device, "threads": args.threads, "torch": torch.__version__,
        "machine": platform.machine(), "cpu_count": os.cpu_count(), "loadavg_1min": [load_before, load_after],
        "rows": rows, "ratios": ratios,
    }, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
