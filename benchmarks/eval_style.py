"""Selectivity of selective text style transfer on synthetic scenes with exact text masks.

For every scene and every style of the teacher, compares:

- ``teacher (whole image)``: the StyleNet alone, no selection (an upper bound on text change);
- ``two-stage GT map, thr``: StyleNet + blend with the exact mask as the map, thresholded;
- ``two-stage TextFCN soft`` / ``thr 200/255``: the map from ``textvision.segment`` (the shipped default
  weights; skipped with a note when they are missing);
- ``distilled``: the end-to-end network alone.

Metrics: mean absolute change outside / inside the text mask (grey levels 0..255), and the relative
Gram distance of the text region to the style (VGG16 relu1_2..relu4_3, masked Grams; see
``PerceptualLoss.masked_style_distance``) before and after. With a random VGG (no ImageNet file) the
Gram distance is measured in random-feature space: it shows the text moving towards the style's
low-level statistics (colour, contrast, texture), not a perceptual judgement.

    python benchmarks/eval_style.py --teacher T.pt --distilled D.pt [D2.pt ...] --styles S1.jpg S2.jpg ... \
        [--vgg vgg16-397923af.pth] [--n 12] [--size 256]

Writes benchmarks/results/eval_style.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from textvision.style import load_style_model, stylize_batch
from textvision.style.evaluate import change_outside_inside, eval_scenes
from textvision.style.inference import image_to_tensor
from textvision.style.losses import PerceptualLoss
from textvision.style.train import load_loss_vgg, load_style_images


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--distilled", nargs="*", default=[], help="one or more distilled checkpoints")
    ap.add_argument("--styles", nargs="+", required=True, help="the style images the teacher was trained on")
    ap.add_argument("--vgg", default=None)
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--threshold", type=float, default=0.5, help="threshold for the GT-map two-stage")
    ap.add_argument("--style-size", type=int, default=256)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "eval_style.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    teacher = load_style_model(args.teacher)
    distilled = {os.path.basename(p): load_style_model(p) for p in args.distilled}
    names, style_imgs = load_style_images(args.styles, args.style_size)
    if names != teacher.style_names:
        raise SystemExit(f"--styles give {names}, the teacher has {teacher.style_names}")
    vgg, vgg_desc = load_loss_vgg(args.vgg)
    metric = PerceptualLoss(vgg)
    metric.set_style_images([image_to_tensor([im])[0] for im in style_imgs])
    scenes = eval_scenes(args.n, (args.size, args.size))
    images = [s.image for s in scenes]
    masks = [s.mask for s in scenes]

    fcn_maps, fcn_note = None, ""
    try:
        from textvision.segmentation import segment

        fcn_maps = [segment(im) for im in images]
    except Exception as exc:  # no shipped TextFCN weights yet, or segment unavailable
        fcn_note = f"TextFCN rows skipped: {type(exc).__name__}: {exc}"

    methods = {"input (no change)": lambda k: images,
               "teacher (whole image)": lambda k: stylize_batch(images, teacher, k, mode="distilled"),
               f"two-stage GT map, thr {args.threshold:g}": lambda k: stylize_batch(
                   images, teacher, k, heatmaps=[m.astype(np.float32) for m in masks], threshold=args.threshold)}
    if fcn_maps is not None:
        methods["two-stage TextFCN soft"] = lambda k: stylize_batch(images, teacher, k, heatmaps=fcn_maps)
        methods["two-stage TextFCN thr 200/255"] = lambda k: stylize_batch(
            images, teacher, k, heatmaps=fcn_maps, threshold=200 / 255)
    for dname, dmodel in distilled.items():
        methods[f"distilled {dname}"] = (lambda m: lambda k: stylize_batch(images, m, k, mode="distilled"))(dmodel)

    S = teacher.num_styles
    mask_t = torch.from_numpy(np.stack(masks)).float()[:, None]
    rows = []
    for name, fn in methods.items():
        t0 = time.perf_counter()
        outside, inside, gram = [], [], []
        for k in range(S):
            outs = fn(k)
            for im, m, o in zip(images, masks, outs):
                a, b = change_outside_inside(im, o, m)
                outside.append(a)
                inside.append(b)
            w = torch.eye(S)[[k] * len(images)]
            gram.append(metric.masked_style_distance(image_to_tensor(outs), mask_t, w).numpy())
        rows.append({"method": name, "mae_outside": float(np.mean(outside)),
                     "mae_outside_max": float(np.max(outside)), "mae_inside": float(np.mean(inside)),
                     "gram_distance": float(np.mean(np.concatenate(gram))), "seconds": time.perf_counter() - t0})
    base = rows[0]["gram_distance"]
    for r in rows:
        r["gram_vs_input"] = r["gram_distance"] / base

    print(f"{args.n} synthetic scenes {args.size}x{args.size} x {S} styles; VGG for the Gram metric: {vgg_desc}")
    print(f"{'method':34s} {'|d| outside':>12s} {'(max img)':>10s} {'|d| inside':>11s} {'Gram dist':>10s} "
          f"{'vs input':>9s}")
    for r in rows:
        print(f"{r['method']:34s} {r['mae_outside']:12.3f} {r['mae_outside_max']:10.3f} {r['mae_inside']:11.2f} "
              f"{r['gram_distance']:10.4f} {r['gram_vs_input']:9.3f}")
    if fcn_note:
        print(fcn_note)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"scenes": args.n, "size": args.size, "styles": names, "vgg": vgg_desc,
                   "teacher": os.path.basename(args.teacher),
                   "distilled": list(distilled),
                   "note": fcn_note, "machine": platform.processor() or platform.machine(), "rows": rows},
                  f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
