"""EAST throughput at 1280x720: network forward and decoding (threshold + restore + C++ locality-aware
NMS) per backbone, on CPU (and on the GPU when one is usable). Untrained weights: the decoder is fed
the network's own maps with the score threshold set so that a realistic number of cells vote (the
decode time depends on the number of candidate boxes, reported as 'votes'). ``--weights W`` adds rows
for trained detectors (registry names or checkpoints) on a real photograph resized to 1280x720 (the
bundled OpenCV street photo by default), decoded at the detector's own threshold (0.8), plus the whole
``detect`` call.

    python benchmarks/bench_east.py [--backbones tiny vgg16bn_lite vgg16 resnet50] [--weights default]
        [--image PHOTO] [--repeats 3] [--threads N]

Prints a table (median of repeats) and writes benchmarks/results/east.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform

import numpy as np
import torch
from _timing import median_seconds  # benchmarks/ is sys.path[0] when run as a script

from textvision.east.decode import decode
from textvision.models.east import EAST, east


def _forward(model, x, repeats, sync):
    """Median forward time of ``model`` on ``x`` (after a warm-up) and its score / geometry maps as NumPy."""
    with torch.inference_mode():
        model(x)  # warm-up
        t_fwd = median_seconds(lambda: model(x), repeats, sync=sync)
        out = model(x)
    return t_fwd, out.score[0, 0].float().cpu().numpy(), out.geometry[0].float().cpu().numpy()


def _trained_row(weights, args, dev, sync, w, h):
    import cv2

    import textvision
    from textvision.east.decode import detect, prepare_image
    from textvision.io import read_rgb

    path = args.image or os.path.join(os.path.dirname(textvision.__file__), "assets", "scenetext01.jpg")
    photo = cv2.resize(read_rgb(path), (args.width, args.height), interpolation=cv2.INTER_LINEAR)
    model = east(weights=weights).to(dev)
    img, _ = prepare_image(photo, max(args.width, args.height))
    x = torch.from_numpy(img).to(dev).permute(2, 0, 1)[None].float().div_(255.0)
    t_fwd, score, geo = _forward(model, x, args.repeats, sync)
    t_dec = median_seconds(lambda: decode(score, geo), args.repeats)
    t_all = median_seconds(lambda: detect(photo, model), args.repeats, sync=sync)
    return {"device": dev, "backbone": f"{model.backbone_name} ({weights})", "input": f"{img.shape[1]}x{img.shape[0]}",
            "forward_ms": t_fwd * 1e3, "decode_ms": t_dec * 1e3, "votes": int((score > 0.8).sum()),
            "images_per_s": 1.0 / (t_fwd + t_dec), "detect_ms": t_all * 1e3,
            "words": int(len(detect(photo, model).quads)), "photo": os.path.basename(path)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backbones", nargs="+", default=["tiny", "vgg16bn_lite", "vgg16", "resnet50"])
    ap.add_argument("--weights", nargs="*", default=[], metavar="W", help="trained detectors to time on --image")
    ap.add_argument("--image", default=None, help="photo for --weights rows (default: the bundled scenetext01.jpg)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "east.json"))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    # 720 is not a multiple of 32: detect() resizes to 704x1280 (EAST's stride); time that size.
    h, w = args.height // 32 * 32, args.width // 32 * 32
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for dev in devices:
        sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
        for name in args.backbones:
            torch.manual_seed(0)
            model = EAST(name).to(dev).eval()
            x = torch.rand(1, 3, h, w, device=dev)
            t_fwd, score, geo = _forward(model, x, args.repeats, sync)
            # ~2 % of the cells vote, as on a text-rich street scene
            thr = float(np.quantile(score, 0.98))
            votes = int((score > thr).sum())
            t_dec = median_seconds(lambda: decode(score, geo, score_threshold=thr), args.repeats)
            rows.append({"device": dev, "backbone": name, "input": f"{w}x{h}", "forward_ms": t_fwd * 1e3,
                         "decode_ms": t_dec * 1e3, "votes": votes, "images_per_s": 1.0 / (t_fwd + t_dec)})
            del model, x
        for w_name in args.weights:
            rows.append(_trained_row(w_name, args, dev, sync, w, h))
    print(f"{'device':>6} {'backbone':>24} {'input':>9} {'forward ms':>11} {'decode ms':>10} {'votes':>6} {'img/s':>7}"
          f" {'detect ms':>10}")
    for r in rows:
        print(f"{r['device']:>6} {r['backbone']:>24} {r['input']:>9} {r['forward_ms']:>11.1f} {r['decode_ms']:>10.1f} "
              f"{r['votes']:>6} {r['images_per_s']:>7.2f} {r.get('detect_ms', float('nan')):>10.1f}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"bench": "east", "machine": platform.processor() or platform.machine(),
                   "torch_threads": torch.get_num_threads(), "repeats": args.repeats, "rows": rows}, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
