"""TextFCN quality: pixel precision / recall / F1 at 0.5 on held-out synthetic scenes, and on the five
real ``scenetext_segmented_word0*.jpg`` photographs with pixel masks from ``../shared/data``.

    python benchmarks/eval_fcn.py [--weights CKPT] [--n 200] [--size 320x320] [--seed 424242]

Real photographs: each mask marks ONE word or line (other text in the photo is unmarked), so the
"inside" figure under-states precision on images with several texts. Reported per image:
``found`` = fraction of mask pixels predicted text (pixel recall), ``inside`` = fraction of predicted
text pixels inside the mask dilated by ``--dilate`` pixels. Writes ``benchmarks/results/fcn_eval.json``.
The real-image part is skipped (and says so) when ``../shared/data`` is absent.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from textvision.models.fcn import load_text_fcn
from textvision.segmentation import segment
from textvision.segmentation.train import pixel_scores, synth_source

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "opencv-text-samples"


def _agg(scores):
    tp = sum(s.tp for s in scores)
    fp = sum(s.fp for s in scores)
    fn = sum(s.fn for s in scores)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "iou": tp / (tp + fp + fn) if tp + fp + fn else 0.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default="default",
                    help="TextFCN weights: text_fcn registry name or checkpoint path (default: the shipped lite)")
    ap.add_argument("--n", type=int, default=200, help="held-out synthetic scenes")
    ap.add_argument("--size", default="320x320")
    ap.add_argument("--seed", type=int, default=424242, help="synthetic seed (training used 0 and 1000003)")
    ap.add_argument("--max-side", type=int, default=512)
    ap.add_argument("--real-thresholds", type=float, nargs="+", default=[0.5, 0.25],
                    help="thresholds for the real-photograph table (the first is the headline)")
    ap.add_argument("--dilate", type=int, default=7, help="dilation radius (px) of the real text masks")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shared", default=str(SHARED))
    ap.add_argument("--save-heatmaps", default=None, help="folder for the real images' heatmaps (PNG)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "fcn_eval.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_text_fcn(args.weights)
    h, w = (int(v) for v in args.size.lower().split("x"))
    result = {"command": "python benchmarks/eval_fcn.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "weights": str(args.weights), "config": model.config}

    t = time.time()
    val = synth_source(args.n, (h, w), args.seed, "pixel")
    synth = {}
    for label, max_side in (("segment(max_side=%d)" % args.max_side, args.max_side), ("native size", None)):
        scores = [pixel_scores(segment(s.image, model, max_side=max_side), s.text, s.ignore)
                  for s in (val[i] for i in range(len(val)))]
        synth[label] = _agg(scores)
    result["synthetic"] = {"n": args.n, "size": [h, w], "seed": args.seed, "threshold": 0.5, **synth}
    print(f"held-out synthetic scenes: {args.n} at {h}x{w} (seed {args.seed}), pixel scores at 0.5 "
          f"({time.time() - t:.0f} s)")
    print(f"  {'resize':24s} {'P':>6s} {'R':>6s} {'F1':>6s} {'IoU':>6s}")
    for k, v in synth.items():
        print(f"  {k:24s} {v['precision']:6.3f} {v['recall']:6.3f} {v['f1']:6.3f} {v['iou']:6.3f}")

    shared = Path(args.shared)
    files = sorted(shared.glob("scenetext_segmented_word0*.jpg")) if shared.is_dir() else []
    files = [f for f in files if f.with_name(f.stem + "_mask.png").is_file()]
    if not files:
        print(f"real photographs: skipped ({shared} not found)")
        result["real"] = None
    else:
        k = 2 * args.dilate + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        probs, masks = [], []
        for f in files:
            rgb = cv2.cvtColor(cv2.imread(str(f), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            masks.append(cv2.imread(str(f.with_name(f.stem + "_mask.png")), cv2.IMREAD_GRAYSCALE) > 127)
            probs.append(segment(rgb, model, max_side=args.max_side))
            if args.save_heatmaps:
                Path(args.save_heatmaps).mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(Path(args.save_heatmaps) / f"{f.stem}_heatmap.png"),
                            (probs[-1] * 255 + 0.5).astype(np.uint8))
        result["real"] = {"dilate_px": args.dilate, "by_threshold": {}}
        for thr in args.real_thresholds:
            rows = []
            print(f"real photographs ({shared}), threshold {thr}, mask dilated by {args.dilate} px:")
            print(f"  {'image':32s} {'mask px':>8s} {'found':>6s} {'pred px':>8s} {'inside':>6s} {'coverage':>8s}")
            tot = {"mask": 0, "found": 0, "pred": 0, "inside": 0}
            for f, prob, mask in zip(files, probs, masks):
                pred = prob >= thr
                near = cv2.dilate(mask.astype(np.uint8), kernel) > 0
                row = {"image": f.name, "mask_px": int(mask.sum()),
                       "found": float((pred & mask).sum() / max(1, mask.sum())), "pred_px": int(pred.sum()),
                       "inside": float((pred & near).sum() / max(1, pred.sum())), "coverage": float(pred.mean())}
                tot["mask"] += int(mask.sum())
                tot["found"] += int((pred & mask).sum())
                tot["pred"] += int(pred.sum())
                tot["inside"] += int((pred & near).sum())
                rows.append(row)
                print(f"  {f.name:32s} {row['mask_px']:8d} {row['found']:6.3f} {row['pred_px']:8d} "
                      f"{row['inside']:6.3f} {row['coverage']:8.4f}")
            allrow = {"found": tot["found"] / max(1, tot["mask"]), "inside": tot["inside"] / max(1, tot["pred"])}
            print(f"  {'all five (pixel-weighted)':32s} {tot['mask']:8d} {allrow['found']:6.3f} {tot['pred']:8d} "
                  f"{allrow['inside']:6.3f}")
            result["real"]["by_threshold"][str(thr)] = {"images": rows, "all": allrow}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
