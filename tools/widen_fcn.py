"""Widen a trained lite TextFCN without changing what it computes (Net2Net-style), to fine-tune a larger
network from a trained smaller one instead of from scratch.

    python tools/widen_fcn.py SMALL.pt WIDE.pt --widths 16,32,80,160,256
    textvision train-text-fcn --init WIDE.pt --widths 16,32,80,160,256 ...

Every tensor keeps the small model's values in its leading slice. The new output channels of a layer
get the wide model's fresh random weights, and every non-depthwise convolution's weights *from* new
input channels are zero: the new channels compute something, but nothing reads them yet, so the widened
network's output equals the small one's exactly (checked on a random image before writing) and training
decides what the new channels become.
"""
from __future__ import annotations

import argparse
import sys

import torch


def widen(small, widths, seed: int = 0):
    """A lite ``TextFCN`` with ``widths`` computing what ``small`` computes (see the module docstring)."""
    from textvision.models.text_fcn import build_text_fcn

    config = dict(small.config, widths=list(widths))
    if config["arch"] != "lite":
        raise ValueError(f"only lite TextFCNs can be widened, got arch {config['arch']!r}")
    if any(w < s for w, s in zip(widths, small.config["widths"])):
        raise ValueError(f"widths {list(widths)} must be >= the model's {small.config['widths']} everywhere")
    torch.manual_seed(seed)
    wide = build_text_fcn(config)
    src, dst = small.state_dict(), wide.state_dict()
    for k, v in dst.items():
        s = src[k]
        if v.ndim == 0:
            dst[k] = s.clone()
            continue
        v = v.clone()
        v[tuple(slice(0, n) for n in s.shape)] = s
        if v.ndim == 4 and v.shape[1] > 1:  # a dense conv: weights from the new input channels are zero
            v[:, s.shape[1]:] = 0
        dst[k] = v
    wide.load_state_dict(dst)
    return wide.eval()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("small", help="a lite TextFCN checkpoint or registry name")
    ap.add_argument("out", help="the widened checkpoint to write")
    ap.add_argument("--widths", required=True, help="5 comma-separated channel counts, each >= the model's")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from textvision.models.text_fcn import save_text_fcn, text_fcn

    small = text_fcn(weights=args.small).eval()
    wide = widen(small, [int(w) for w in args.widths.split(",")], args.seed)
    x = torch.rand(1, 3, 96, 160)
    with torch.no_grad():
        diff = float((small(x) - wide(x)).abs().max())
    if diff > 1e-4:
        raise SystemExit(f"widen_fcn: the widened model differs by {diff:.2e}; not written")
    save_text_fcn(args.out, wide, widened_from=str(args.small))
    print(f"wrote {args.out}: widths {wide.config['widths']}, "
          f"{sum(p.numel() for p in wide.parameters()):,} parameters, max output difference {diff:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
