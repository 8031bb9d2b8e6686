"""Development check of style models on CRAFT-labelled real photographs (never the evaluation photographs).

For choosing between candidate style models without touching the evaluation set: mean change of the background
farther than 30 px from every CRAFT word and inside the words, and CRAFT's region score kept inside the words
(median over words and styles, as ``benchmarks/eval_style.py`` measures legibility), over the first ``--n``
label files of ``textvision teacher-label`` whose photos have 1-30 words, at ``--max-side`` px, for two styles.

    python tools/style_dev_check.py --labels LABELS_DIR --models default-distilled CANDIDATE.pt \\
        [--styles japanese_w0,korean_w0] [--n 10] [--max-side 640]
"""
from __future__ import annotations

import argparse

import cv2
import numpy as np
import torch

from textvision.data import TextInstance
from textvision.data.teacher import iter_labelled_photos, list_labels
from textvision.models.craft import craft, craft_maps
from textvision.models.style import style_net
from textvision.style import stylize
from textvision.style.evaluate import craft_score_kept, word_masks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", required=True, help="folder of teacher-label .npz files")
    ap.add_argument("--models", nargs="+", required=True, help="style models (registry names or paths)")
    ap.add_argument("--styles", default="japanese_w0,korean_w0")
    ap.add_argument("--n", type=int, default=10, help="labelled photos (with 1-30 words)")
    ap.add_argument("--max-side", type=int, default=640)
    ap.add_argument("--exclude", default="text", help="skip photos whose path contains this (the evaluation "
                    "photographs' folder name)")
    ap.add_argument("--include", default="", help="only photos whose path contains this (e.g. easyocr: street "
                    "signs, where legibility is at stake, rather than wallpapers)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    photos = []
    for _, label, img in iter_labelled_photos(args.labels, list_labels(args.labels)):
        if not 1 <= len(label.quads) <= 30 or args.exclude in str(label.source) or \
                args.include not in str(label.source):
            continue
        s = min(1.0, args.max_side / max(img.shape[:2]))
        if s < 1:
            img = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
        words = [TextInstance(q.astype(np.float32)) for q in label.quads]
        photos.append((img, word_masks(words, img.shape[:2], far=30.0, scale=s)))
        if len(photos) == args.n:
            break
    styles = args.styles.split(",")
    craft_net = craft("default")
    region_in = [craft_maps(craft_net, img, max_side=args.max_side).region for img, _ in photos]
    print(f"{len(photos)} labelled photos at <= {args.max_side} px, styles {styles}; mean |change|, grey levels; "
          "CRAFT kept: median over words")
    for name in args.models:
        model = style_net(weights=name)
        far, text, kept = [], [], []
        for (img, m), r_in in zip(photos, region_in):
            for st in styles:
                out = stylize(img, model, st)
                d = np.abs(out.astype(np.int16) - img.astype(np.int16)).mean(axis=2)
                if m.far.any():
                    far.append(d[m.far].mean())
                text.append(d[m.text].mean())
                kept.extend(craft_score_kept(r_in, craft_maps(craft_net, out, max_side=args.max_side).region,
                                             m.words).tolist())
        print(f"  {name}: far from words {np.mean(far):.2f}, inside words {np.mean(text):.1f}, "
              f"CRAFT kept {np.nanmedian(kept):.2f}")


if __name__ == "__main__":
    main()
