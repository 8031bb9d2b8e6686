"""Choose the two-stage blending threshold by measurement, on development scenes (never the evaluation photos).

The two-stage restyle is ``out = P * styled + (1 - P) * input`` with ``P`` the TextFCN map; zeroing ``P`` below a
threshold keeps the input bit for bit wherever the map is low. This sweeps thresholds on synthetic words rendered
over crops of real photographs (Debian wallpapers; exact text masks; seeds far from any training seed) and
reports, per threshold, the mean change of the background farther than 30 px from any word, of the background
near words, and inside the words (grey levels 0-255, all styles of the model).

    python tools/style_threshold.py --model STYLE.pt [--n 12] [--size 480x640] \\
        [--photos "/usr/share/backgrounds;/usr/share/wallpapers;/usr/share/desktop-base"]

Writes tools/results/style_threshold.json.
"""
from __future__ import annotations

import argparse
import json
import os

import cv2
import numpy as np
import torch

from textvision.data.photos import PhotoBackgrounds
from textvision.data.synth import render_scene
from textvision.models.style import style_net
from textvision.style.blending import blend
from textvision.style.inference import image_to_tensor, tensor_to_image
from textvision.text_fcn import segment

THRESHOLDS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="two-stage style model (path or registry name)")
    ap.add_argument("--n", type=int, default=12, help="scenes")
    ap.add_argument("--size", default="480x640", help="scene HxW")
    ap.add_argument("--photos", default="/usr/share/backgrounds;/usr/share/wallpapers;/usr/share/desktop-base")
    ap.add_argument("--seed", type=int, default=7_000_001, help="scene seed (far from training seeds)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "style_threshold.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    h, w = (int(v) for v in args.size.split("x"))
    bgs = PhotoBackgrounds.from_dirs([d for d in args.photos.split(";") if d])
    model = style_net(weights=args.model)
    sums = {t: np.zeros(3) for t in THRESHOLDS}
    counts = np.zeros(3)
    i = 0
    scenes = 0
    while scenes < args.n:
        try:
            sc = render_scene((args.seed, i), size=(h, w), backgrounds=bgs)
        except ValueError:
            i += 1
            continue
        i += 1
        if not sc.mask.any():
            continue
        scenes += 1
        text = sc.mask.astype(bool)
        dist = cv2.distanceTransform((~text).astype(np.uint8), cv2.DIST_L2, 5)
        regions = (dist > 30, (dist > 0) & (dist <= 30), text)  # far background, near background, text
        heat = segment(sc.image)
        with torch.inference_mode():
            x = image_to_tensor([sc.image]).repeat(len(model.style_names), 1, 1, 1)
            styled = tensor_to_image(model(x, torch.arange(len(model.style_names))))
        for st in styled:
            for t in THRESHOLDS:
                out = blend(sc.image, st, heat, t)
                diff = np.abs(out.astype(np.int16) - sc.image.astype(np.int16)).mean(axis=2)
                sums[t] += [diff[r].sum() for r in regions]
            counts += [r.sum() for r in regions]
    rows = {str(t): dict(zip(("far_background", "near_background", "text"), (sums[t] / counts).round(3).tolist()))
            for t in THRESHOLDS}
    print(f"{scenes} scenes {h}x{w}, {len(model.style_names)} styles; mean |change| in grey levels")
    print("threshold  far bg (>30 px)  near bg (<=30 px)  text")
    for t, r in rows.items():
        print(f"{t:>9}  {r['far_background']:>15.2f}  {r['near_background']:>17.2f}  {r['text']:>5.2f}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"model": str(args.model), "scenes": scenes, "size": [h, w], "seed": args.seed,
                   "photos": args.photos, "mean_abs_change": rows}, f, indent=1)


if __name__ == "__main__":
    main()
