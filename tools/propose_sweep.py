"""Choose ``propose``'s pruning threshold, ranker and diversity on annotated photographs: words hit at the top
10 / 100 / 1000 / all proposals and median CPU seconds for the plain ``TextProposals()`` and for every
(min_prob, ranker, diversity) setting of the map-guided pipeline, each image's text map computed once.

    python tools/propose_sweep.py --data icdar2015:DIR --split val [--weights default] \
        [--min-prob 0 0.02 0.05 0.1] [--rankers default nfa] [--diversity 0.5 0.3] [--rerank-weight 0.5 0.75] [--out sweep.json]

Run it on the validation split (``--split val`` = img_901-img_1000 of an ICDAR 2015 training folder), never
on test photographs. One thread: the times are the whole work.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="a train-ranker spec, e.g. icdar2015:DIR")
    ap.add_argument("--split", default="val")
    ap.add_argument("-n", "--num-images", type=int, default=None)
    ap.add_argument("--weights", default="default", help="TextFCN weights (registry name or checkpoint)")
    ap.add_argument("--min-prob", type=float, nargs="+", default=[0.0, 0.02, 0.05, 0.1])
    ap.add_argument("--rankers", nargs="+", default=["default"], help="registry names, paths, or nfa")
    ap.add_argument("--diversity", type=float, nargs="+", default=[0.5])
    ap.add_argument("--rerank-weight", type=float, nargs="+", default=[0.5],
                    help="weights of the map's evidence in the ranking score (TextProposals' rerank_weight)")
    ap.add_argument("--out", default=None, metavar="JSON")
    args = ap.parse_args(argv)

    import torch

    from textvision.eval.proposals import detection_rate
    from textvision.models.text_fcn import text_fcn
    from textvision.proposals import TextProposals
    from textvision.proposals.train import iter_samples, word_boxes
    from textvision.text_fcn import segment

    torch.set_num_threads(1)
    samples = list(iter_samples(args.data, n=args.num_images, split=args.split))
    gts = [word_boxes(s.instances) for s in samples]
    fcn = text_fcn(weights=args.weights)
    maps, t_map = [], []
    for s in samples:
        t = time.process_time()
        maps.append(segment(s.image, fcn))
        t_map.append(time.process_time() - t)

    def run(name, tp, use_map):
        boxes, secs = [], []
        for s, hm in zip(samples, maps):
            t = time.process_time()
            p = tp(s.image, hm) if use_map else tp(s.image)
            secs.append(time.process_time() - t)
            boxes.append(p.boxes)
        dr = detection_rate(boxes, gts, ks=(10, 100, 1000, None))
        n = int(sum(len(g) for g in gts))
        row = {"setting": name, "hits": {str(k): int(round(v * n)) for k, v in zip(dr.ks, dr.recall)}, "words": n,
               "proposals": int(np.median([len(b) for b in boxes])),
               "cpu": float(np.median(secs)) + (float(np.median(t_map)) if use_map else 0.0)}
        print(f"{name:<60} {row['hits']['10']:>5} {row['hits']['100']:>5} {row['hits']['1000']:>5} "
              f"{row['hits']['None']:>5} {row['proposals']:>8} {row['cpu']:>6.2f}", flush=True)
        return row

    print(f"{len(samples)} images, {int(sum(len(g) for g in gts))} words; map median {np.median(t_map):.3f} s")
    print(f"{'setting':<60} {'@10':>5} {'@100':>5} {'@1000':>5} {'all':>5} {'props':>8} {'CPU s':>6}")
    rows = [run("TextProposals() (no map)", TextProposals(), False)]
    for m in args.min_prob:
        for r in args.rankers:
            for d in args.diversity:
                for rw in args.rerank_weight:
                    tp = TextProposals(prune="pixels", min_prob=m, ranker=None if r == "nfa" else r, rerank=True,
                                       rerank_weight=rw, diversity=d)
                    rows.append(run(f"map: min_prob {m:g}, ranker {r}, diversity {d:g}, rerank {rw:g}", tp, True))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"data": args.data, "split": args.split, "weights": args.weights, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
