"""FCN-guided MSER pruning on the bundled demo scene (or your own image).

    python examples/mser_pruning.py                      # bundled textvision/assets/demo_scene.jpg
    python examples/mser_pruning.py photo.jpg --out vis.png --min-prob 0.1

1. MSER regions of the grey image with TextProposals' settings (``textproposals_params``);
2. a text-probability map: TextFCN's (``textvision.segment``) when its weights are available, else a
   stand-in built from stroke contrast (the script says which);
3. the mean probability of every region, computed by the core while it finds the regions, and
   pruning with ``min_prob`` inside the core: one call, no pixel lists;
4. for comparison, the bounding-box variant (``box_mean``) used by the public FAST code.
Writes a picture with kept regions in green and pruned ones in red.
"""
import argparse
import os
import time
from importlib import resources

import cv2
import numpy as np

from textvision import ops


def text_probability(rgb):
    """(map float32 HxW in [0,1], description): TextFCN when usable, else a stroke-contrast stand-in."""
    try:
        import textvision

        return textvision.segment(rgb), "TextFCN (textvision.segment, shipped weights)"
    except Exception as exc:  # no weights / torch missing: keep the example runnable
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
        c = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, k).astype(np.float32) + \
            cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, k).astype(np.float32)
        c = cv2.GaussianBlur(c, (0, 0), 3)
        prob = (np.clip(c / max(float(np.percentile(c, 99.9)), 1e-6), 0, 1) ** 3).astype(np.float32)
        return prob, f"stroke-contrast stand-in (TextFCN unavailable: {type(exc).__name__}: {exc})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("image", nargs="?", help="image file (default: the bundled demo scene)")
    ap.add_argument("--min-prob", type=float, default=0.10, help="pruning threshold (FAST's public code: 0.10)")
    ap.add_argument("--out", default="mser_pruning.png", help="where to write the visualisation")
    args = ap.parse_args()

    path = args.image or str(resources.files("textvision") / "assets" / "demo_scene.jpg")
    bgr = cv2.imread(path)
    if bgr is None:
        raise SystemExit(f"cannot read image {path}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    params = ops.textproposals_params(h, w)
    print(f"image {os.path.basename(path)} {w}x{h}; MSER {params}")

    t = time.perf_counter()
    regions = ops.mser(grey, **params)
    print(f"all regions:     {len(regions):6d} in {1e3 * (time.perf_counter() - t):6.1f} ms")

    prob, source = text_probability(rgb)
    print(f"probability map: {source}")
    t = time.perf_counter()
    kept = ops.mser(grey, prob=prob, min_prob=args.min_prob, **params)
    print(f"kept (pixels):   {len(kept):6d} in {1e3 * (time.perf_counter() - t):6.1f} ms "
          f"(mean prob over each region's pixels >= {args.min_prob})")
    boxes_mean = ops.box_mean(prob, regions.boxes)
    print(f"kept (boxes):    {int((boxes_mean >= args.min_prob).sum()):6d} "
          "(bounding-box means, the public FAST variant)")

    vis = bgr.copy()
    all_scored = ops.mser(grey, prob=prob, **params)
    for (x1, y1, x2, y2), m in zip(all_scored.boxes, all_scored.mean_prob):
        colour = (0, 200, 0) if m >= args.min_prob else (0, 0, 220)
        cv2.rectangle(vis, (int(x1), int(y1)), (int(x2) - 1, int(y2) - 1), colour, 1)
    cv2.imwrite(args.out, vis)
    print(f"wrote {args.out} (green: kept, red: pruned)")


if __name__ == "__main__":
    main()
