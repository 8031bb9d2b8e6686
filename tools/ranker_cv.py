"""Choose the ranker's recipe by K-fold cross-validation over annotated photographs (by image): for each
(stumps, balance) setting, fit on K-1 folds, rank every proposal of the held-out images, and count the
words hit (IoU 0.5) by the top 10 / 100 / 1000 of each image; the shipped rankers are scored on the same
held-out images beside them.

    python tools/ranker_cv.py --data icdar2015:DIR [--folds 5] [--stumps 100 200] \
        [--balance proposal image] [--baseline real synth] [--out cv.json]

``--data icdar2015:DIR`` reads the training side only (img_1-img_900); the validation split stays unseen.
The proposals are the plain pipeline's (``TextProposals(keep_features=True, diversity=None)``, what
``train-ranker`` trains on), each image's computed once; rows, weights and fits are ``train-ranker``'s own
(``image_rows``, ``fit_rows``), with fewer negatives kept per photo (``--negatives``, default 1000) to keep
the folds quick.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def _hits_at(ranker, features: np.ndarray, boxes: np.ndarray, gt: np.ndarray, ks) -> np.ndarray:
    """Words of one image hit (IoU >= 0.5) within the top k of its proposals ranked by ``ranker``, per k."""
    from textvision.eval import first_hit_rank

    order = np.argsort(-ranker.decision_function(features) * ranker.text_sign, kind="stable")
    first = first_hit_rank(boxes[order], gt)
    return np.array([int(((first >= 0) & (first < k)).sum()) for k in ks])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="a train-ranker spec, e.g. icdar2015:DIR (its training side)")
    ap.add_argument("-n", "--num-images", type=int, default=None)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--stumps", type=int, nargs="+", default=[100, 200])
    ap.add_argument("--balance", nargs="+", default=["proposal", "image"])
    ap.add_argument("--negatives", type=int, default=1000, help="negatives kept per training image (default 1000)")
    ap.add_argument("--baseline", nargs="+", default=["ranker_real", "ranker_synth"], help="shipped rankers scored alongside")
    ap.add_argument("--out", default=None, metavar="JSON")
    args = ap.parse_args(argv)

    from tqdm import tqdm

    from textvision.proposals import Ranker, TextProposals
    from textvision.proposals.train import fit_rows, image_rows, iter_samples, max_iou, word_boxes
    from textvision.weights import resolve

    tp = TextProposals(keep_features=True, diversity=None)
    images = []  # (features [n, 18], boxes [n, 4], word boxes [G, 4], labels [n]): what train-ranker sees
    for s in tqdm(iter_samples(args.data, n=args.num_images, split="train"), desc="proposals", file=sys.stderr):
        p = tp(s.image)
        gt = word_boxes(s.instances)
        images.append((p.features.astype(np.float32), p.boxes, gt, max_iou(p.boxes, gt) >= 0.5))
    n_words = sum(len(gt) for _, _, gt, _ in images)
    ks = (10, 100, 1000)
    fold = np.arange(len(images)) % args.folds
    rng = np.random.default_rng(0)

    def train_rows(idx, balance):
        picked = [image_rows(images[i][3], rng, max_negatives=args.negatives, balance=balance) for i in idx]
        return (np.concatenate([images[i][0][j] for i, (j, _) in zip(idx, picked)]),
                np.concatenate([images[i][3][j] for i, (j, _) in zip(idx, picked)]),
                np.concatenate([w for _, w in picked]))

    def held_out_hits(ranker, idx):
        return sum(_hits_at(ranker, f, b, gt, ks) for f, b, gt, _ in (images[i] for i in idx))

    rows = []
    for name in args.baseline:
        r = Ranker.load(resolve(name, "ranker"))
        h = held_out_hits(r, range(len(images)))
        rows.append({"setting": f"shipped ranker {name}", "hits": dict(zip(map(str, ks), map(int, h)))})
    for stumps in args.stumps:
        for balance in args.balance:
            total = np.zeros(len(ks), int)
            for k in tqdm(range(args.folds), desc=f"{stumps} stumps, {balance}", file=sys.stderr):
                x, y, w = train_rows(np.flatnonzero(fold != k), balance)
                total += held_out_hits(fit_rows(x, y, w, num_stumps=stumps), np.flatnonzero(fold == k))
            rows.append({"setting": f"{stumps} stumps, balance {balance}",
                         "hits": dict(zip(map(str, ks), map(int, total)))})
    print(f"{len(images)} images, {n_words} words, {args.folds}-fold by image; words hit per image's top k")
    print(f"{'setting':<34} {'@10':>6} {'@100':>6} {'@1000':>6}")
    for r in rows:
        print(f"{r['setting']:<34} {r['hits']['10']:>6} {r['hits']['100']:>6} {r['hits']['1000']:>6}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"data": args.data, "folds": args.folds, "images": len(images), "words": n_words, "rows": rows},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
