"""The shape of thesis Table 3.3 at small scale: does selective text style augmentation help EAST
on a shifted test domain?

Train a tiny EAST on synthetic scenes of one domain (a few upright Hershey faces, clean renders) with
0, 1 and 4 restyled copies per training image, and test each model on held-out scenes of a shifted
domain (other typefaces, italic/script, lighting, blur, noise), scored with the ICDAR 2015 protocol.
Every condition gets the same number of optimisation steps (fair compute); only the training set
differs.

Restyling: the copies are made offline (as ``textvision augment`` does) with the two-stage blend,
using the synthetic scenes' exact text masks as the blend map (instead of a TextFCN map), so that
only text pixels change and the ground truth stays exact.

Style model: ``--style STYLE.pt`` (a ``textvision train-style`` checkpoint); without it, a small
one is trained here from the word crops in ../shared/data/opencv-text-samples (when present, else
from synthetic word crops). Without ImageNet VGG16 weights in the torch hub cache the style loss runs on a
random VGG (the style code warns loudly): those styles are texture/colour perturbations rather than
faithful style transfer, so read the numbers as the experiment's shape, not as the thesis' result.

    python examples/augmentation_experiment.py [--style STYLE.pt] [--steps 400] [--train-images 48]
        [--test-images 48] [--size 160] [--ks 0 1 4] [--seeds 0] [--out benchmarks/results/augmentation_experiment.json]
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch

from textvision.data.synth import SynthDataset
from textvision.east.train import TrainConfig, evaluate_east, train_east

TRAIN_FACES = ["hershey_simplex", "hershey_duplex", "hershey_complex", "hershey_plain"]
TEST_FACES = ["pillow_sans", "pillow_sans_bold", "hershey_script_simplex", "hershey_triplex_italic",
              "hershey_complex_italic"]
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "opencv-text-samples")


class _Items(torch.utils.data.Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def _style_model(path, workdir, steps, save_to=None):
    from textvision.style import load_style_model

    if path:
        return load_style_model(path)
    from textvision.style import StyleTrainConfig, train_style

    styles = sorted(glob.glob(os.path.join(SHARED, "scenetext_word0*.jpg")))
    if styles:
        print(f"style images: {len(styles)} word crops from {os.path.normpath(SHARED)}")
    else:
        print(f"{os.path.normpath(SHARED)} not found: using synthetic word crops as style images")
        import cv2

        from textvision.data.synth import render_scene

        styles = []
        for s in range(4):
            scene = render_scene(100 + s, (128, 256), faces=TEST_FACES[:1] + TRAIN_FACES[:1], max_lines=1,
                                 text_free_prob=0)
            p = os.path.join(workdir, f"synth_style{s}.png")
            cv2.imwrite(p, cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR))
            styles.append(p)
    out = os.path.join(workdir, "style.pt")
    cfg = StyleTrainConfig(styles=styles, out=out, content="synth", steps=steps, batch_size=2, image_size=128,
                           style_size=128, base_channels=16, num_res_blocks=2, save_every=10 ** 6, progress=False)
    t0 = time.time()
    train_style(cfg)
    print(f"trained a {len(styles)}-style StyleNet in {time.time() - t0:.0f} s ({steps} steps)")
    if save_to:
        import shutil

        shutil.copyfile(out, save_to)
        print(f"saved the style model to {save_to} (reuse it with --style)")
    return load_style_model(out)


def _augmented(base, model, k, seed):
    """Originals plus k restyled copies per image (distinct styles per image while k <= styles)."""
    from textvision.augment import plan_styles
    from textvision.style import stylize

    items = []
    for i in range(len(base)):
        item = base[i]
        items.append(item)
        if k == 0:
            continue
        heat = item["mask"].astype(np.float32)
        for name in plan_styles(seed, str(i), list(model.style_names), k):
            img = stylize(item["image"], model, name, mode="two-stage", heatmap=heat)
            items.append({"image": img, "instances": item["instances"], "mask": item["mask"]})
    return _Items(items)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--style", default=None, help="style checkpoint (default: train a small one here)")
    ap.add_argument("--style-steps", type=int, default=100, help="steps when training the style model here")
    ap.add_argument("--save-style", default=None, metavar="PATH", help="keep the style model trained here")
    ap.add_argument("--train-images", type=int, default=48)
    ap.add_argument("--test-images", type=int, default=48)
    ap.add_argument("--size", type=int, default=160, help="scene and crop side (multiple of 32)")
    ap.add_argument("--steps", type=int, default=400, help="EAST optimisation steps per condition")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--ks", type=int, nargs="+", default=[0, 1, 4], help="styles per image")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="EAST training seeds (mean reported)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks",
                                                   "results", "augmentation_experiment.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    size = (args.size, args.size)
    common = dict(text_free_prob=0.0, min_height=12.0)
    train_base = SynthDataset(args.train_images, size=size, seed=10, faces=TRAIN_FACES, effects=False,
                              max_angle=15.0, **common)
    test_set = SynthDataset(args.test_images, size=size, seed=20, faces=TEST_FACES, effects=True, max_angle=30.0,
                            **common)
    train_base = _Items([train_base[i] for i in range(len(train_base))])
    test_set = _Items([test_set[i] for i in range(len(test_set))])
    with tempfile.TemporaryDirectory() as work:
        model = _style_model(args.style, work, args.style_steps, args.save_style)
        style_desc = args.style or f"trained here ({args.style_steps} steps, {len(model.style_names)} styles)"
        rows = []
        for k in args.ks:
            t0 = time.time()
            train_set = _augmented(train_base, model, k, seed=0)
            t_style = time.time() - t0
            per_seed = []
            for seed in args.seeds:
                batches = math.ceil(len(train_set) / args.batch_size)
                epochs = max(1, round(args.steps / batches))
                cfg = TrainConfig(backbone="tiny", input_size=args.size, batch_size=args.batch_size, epochs=epochs,
                                  lr=args.lr, scale_range=(0.7, 1.3), rotate=10.0, seed=seed, progress=False,
                                  val_max_side=args.size, device="cpu")
                t1 = time.time()
                res = train_east(cfg, train_set, None, log=lambda s: None)
                score = evaluate_east(res["model"], test_set, max_side=args.size)
                score["steps"] = epochs * batches
                score["train_seconds"] = time.time() - t1
                per_seed.append(score)
                print(f"k={k} seed={seed}: P {score['precision']:.3f} R {score['recall']:.3f} H {score['hmean']:.3f} "
                      f"({score['steps']} steps, {score['train_seconds']:.0f} s)", flush=True)
            rows.append({"styles_per_image": k, "train_images": len(train_set), "style_seconds": t_style,
                         "steps": per_seed[0]["steps"],
                         **{m: float(np.mean([s[m] for s in per_seed])) for m in ("precision", "recall", "hmean")},
                         "hmean_per_seed": [s["hmean"] for s in per_seed]})
    print()
    print(f"style model: {style_desc}")
    print(f"train: {args.train_images} clean scenes ({', '.join(TRAIN_FACES)}); test: {args.test_images} shifted "
          f"scenes ({', '.join(TEST_FACES)}, effects on); {args.size}px, tiny EAST, seeds {args.seeds}")
    print(f"{'styles/img':>10} {'train imgs':>10} {'steps':>6} {'P':>6} {'R':>6} {'H-mean':>7}")
    for r in rows:
        print(f"{r['styles_per_image']:>10} {r['train_images']:>10} {r['steps']:>6} {r['precision']:>6.3f} "
              f"{r['recall']:>6.3f} {r['hmean']:>7.3f}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"experiment": "augmentation", "style_model": style_desc, "args": vars(args), "rows": rows}, f,
                  indent=2)
    print(f"wrote {os.path.normpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
