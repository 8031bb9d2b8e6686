"""Which TextFCN working size FCN-guided pruning needs: word coverage of the map vs ``max_side``.

Run from the repository root:

    python tools/fcn_working_size.py

On the synthetic 1280x720 scenes of ``benchmarks/bench_proposals.py`` (``render_scene((1000, i))``), for each
``max_side`` given to ``textvision.segment`` (shipped lite weights): pixel recall / precision at 0.5
against the rendered text masks, and the share of care words whose glyph pixels average >= 0.1 (the
pruning threshold) and >= 0.3 — a word under the threshold loses its MSER regions before grouping.
Writes tools/results/fcn_working_size.json. The proposals pipeline's choice
(``PROPOSALS_FCN_MAX_SIDE`` in ``textvision/proposals/pipeline.py``) rests on this table.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from textvision.data.synth import render_scene
from textvision.models.text_fcn import text_fcn
from textvision.text_fcn import segment


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=10)
    ap.add_argument("--sides", type=int, nargs="+", default=[512, 800, 1024, 1280])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "fcn_working_size.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = text_fcn("lite", weights="default").eval()
    scenes = [render_scene((1000, i), (720, 1280)) for i in range(args.images)]
    rows = []
    print(f"{args.images} synthetic 1280x720 scenes, shipped default TextFCN")
    print(f"{'max_side':>8} {'pixel R':>8} {'pixel P':>8} {'words>=0.1':>11} {'words>=0.3':>11} {'s/image':>8}")
    for side in args.sides:
        tp = fn = fp = 0
        word_means = []
        t0 = time.perf_counter()
        maps = [segment(sc.image, model, max_side=side, device="cpu") for sc in scenes]
        seconds = (time.perf_counter() - t0) / len(scenes)
        for sc, hm in zip(scenes, maps):
            text = sc.mask.astype(bool)
            pred = hm >= 0.5
            tp += int((pred & text).sum())
            fn += int((~pred & text).sum())
            fp += int((pred & ~text).sum())
            for inst in sc.instances:
                if inst.ignore:
                    continue
                quad = np.zeros(text.shape, np.uint8)
                cv2.fillPoly(quad, [np.round(inst.quad).astype(np.int32)], 1)
                glyphs = quad.astype(bool) & text
                if glyphs.any():
                    word_means.append(float(hm[glyphs].mean()))
        w = np.asarray(word_means)
        row = {"max_side": side, "pixel_recall": tp / max(tp + fn, 1), "pixel_precision": tp / max(tp + fp, 1),
               "words_ge_0.1": float(np.mean(w >= 0.1)), "words_ge_0.3": float(np.mean(w >= 0.3)),
               "words": int(w.size), "seconds_per_image": seconds}
        rows.append(row)
        print(f"{side:>8} {row['pixel_recall']:>8.3f} {row['pixel_precision']:>8.3f} {row['words_ge_0.1']:>11.3f} "
              f"{row['words_ge_0.3']:>11.3f} {seconds:>8.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"images": args.images, "threads": args.threads, "rows": rows}, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
