"""Augment an ICDAR 2015 training set with selective text style transfer -- the recipe to copy.

    python examples/augment_icdar.py ICDAR2015_DIR STYLE.pt OUT_DIR [--fcn FCN.pt]

ICDAR2015_DIR holds the images (``img_N.jpg``) and gt files (``gt_img_N.txt``) in any folders
(e.g. ``ch4_training_images/`` and ``ch4_training_localization_transcription_gt/``). STYLE.pt is a
style checkpoint from ``textvision train-style`` (two-stage) or ``textvision distill`` (distilled).

Without arguments the script runs on a small synthetic set in a temporary folder with a
random-weight StyleNet: a dry run of the plumbing (the "styles" are then noise, not styles).

It does three things:
1. ``augment_dataset``: 4 restyled copies of every image (+ the originals) with their gt, resumable;
   the same as ``textvision augment SRC DST --format icdar2015 --model STYLE.pt -k 4 --include-originals``;
2. reads the result back with the ICDAR 2015 reader to show the gt is the source's;
3. restyles on the fly inside an albumentations pipeline instead (``SelectiveTextStyle``).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

import albumentations as A
import cv2
import numpy as np

from textvision.augment import AugmentOptions, SelectiveTextStyle, augment_dataset
from textvision.data import read_icdar2015, write_icdar2015


def demo_inputs(root: Path):
    """A 6-image ICDAR 2015-style set and an untrained 4-style StyleNet (plumbing demo only)."""
    from textvision.data.synth import render_scene
    from textvision.models.style import StyleNet
    from textvision.style import save_style_model

    src = root / "ic15"
    for i in range(1, 7):
        scene = render_scene((7, i), size=(360, 640))
        (src / "ch4_training_images").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(src / "ch4_training_images" / f"img_{i}.jpg"), cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR))
        write_icdar2015(src / "ch4_training_localization_transcription_gt" / f"gt_img_{i}.txt", scene.instances)
    model = root / "style_untrained.pt"
    save_style_model(StyleNet(4, ["chalk", "neon", "rust", "ink"], base_channels=8, num_res_blocks=2,
                              kind="distilled"), model)
    return src, model


def main() -> int:
    ap = argparse.ArgumentParser(description="Augment an ICDAR 2015 training set with text styles")
    ap.add_argument("src", nargs="?", help="ICDAR 2015 folder (default: a synthetic demo set)")
    ap.add_argument("model", nargs="?", help="style checkpoint (.pt)")
    ap.add_argument("dst", nargs="?", help="output folder (default: a temporary folder)")
    ap.add_argument("--fcn", default=None, help="TextFCN checkpoint for two-stage models (default: shipped)")
    ap.add_argument("-k", type=int, default=4, help="styled copies per image (default 4)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="augment_icdar_"))
    if args.src and args.model:
        src, model = Path(args.src), Path(args.model)
    else:
        print("no SRC/STYLE.pt given: synthetic demo set, untrained style network", file=sys.stderr)
        src, model = demo_inputs(tmp)
    dst = Path(args.dst) if args.dst else tmp / "ic15_augmented"

    # 1. The whole set, K styles per image, originals included. Re-running resumes.
    opts = AugmentOptions("icdar2015", str(model), styles_per_image=args.k, include_originals=True, seed=0,
                          fcn=args.fcn)
    result = augment_dataset(src, dst, opts)
    summary = result.summary
    print(f"{summary['outputs']} styled + {summary['originals']} originals in {dst}; "
          f"bad inputs: {summary['bad_inputs_by_kind'] or 'none'}; styles used: {summary['styles_used']}")

    # 2. Every output's gt is its source's: same quads, same words, same don't-care.
    with open(dst / "augment_manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows[:3]:
        out, ref = read_icdar2015(dst / row["output_gt"]), read_icdar2015(src / row["source_gt"])
        same = len(out) == len(ref) and all(np.array_equal(a.quad, b.quad) and a.text == b.text
                                            for a, b in zip(out, ref))
        print(f"  {row['output_image']} <- {row['source_image']} style={row['style']}: gt identical: {same}")

    # 3. Or on the fly, in the training pipeline: geometry transforms after it move the boxes as usual.
    aug = A.Compose([SelectiveTextStyle(str(model), fcn=args.fcn, p=0.5),
                     A.RandomScale(scale_limit=0.2, p=1.0), A.HorizontalFlip(p=0.5)],
                    bbox_params=A.BboxParams(format="pascal_voc", label_fields=["words"]), seed=0)
    first = rows[0]
    image = cv2.cvtColor(cv2.imread(str(src / first["source_image"])), cv2.COLOR_BGR2RGB)
    inst = [i for i in read_icdar2015(src / first["source_gt"]) if not i.ignore]
    h, w = image.shape[:2]
    boxes = [np.clip(i.box, 0, [w, h, w, h]).tolist() for i in inst]
    sample = aug(image=image, bboxes=boxes, words=[i.text for i in inst])
    print(f"  on the fly: {image.shape} -> {sample['image'].shape}, {len(sample['bboxes'])} boxes")
    print("  pipeline as JSON (the model is referenced by path):")
    print("  " + json.dumps(A.to_dict(aug)["transform"]["transforms"][0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
