"""Choose the ranker's recipe by K-fold cross-validation over annotated photographs (by image): for each
(stumps, balance) setting, fit on K-1 folds, rank every proposal of the held-out images, and count the
words hit (IoU 0.5) by the top 10 / 100 / 1000 of each image; the shipped rankers are scored on the same
held-out images beside them.

    python tools/ranker_cv.py --data icdar2015:DIR [--folds 5] [--stumps 100 200] \
        [--balance proposal image] [--baseline real synth] [--out cv.json]

``--data icdar2015:DIR`` reads the training side only (img_1-img_900); the validation split stays unseen.
The proposals are the plain pipeline's (``TextProposals(keep_features=True, diversity=None)``, what
``train-ranker`` trains on), each image's computed once.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def _hits_matrix(boxes: np.ndarray, gt: np.ndarray, iou: float = 0.5) -> np.ndarray:
    """bool [n_proposals, n_words]: proposal i matches word j (axis-aligned box IoU >= iou)."""
    if len(gt) == 0 or len(boxes) == 0:
        return np.zeros((len(boxes), len(gt)), bool)
    b = boxes.astype(np.float64)[:, None, :]
    g = gt.astype(np.float64)[None, :, :]
    iw = np.clip(np.minimum(b[..., 2], g[..., 2]) - np.maximum(b[..., 0], g[..., 0]), 0, None)
    ih = np.clip(np.minimum(b[..., 3], g[..., 3]) - np.maximum(b[..., 1], g[..., 1]), 0, None)
    inter = iw * ih
    area = lambda a: (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])  # noqa: E731
    return inter >= iou * (area(b) + area(g) - inter)


def _hits_at(scores: np.ndarray, match: np.ndarray, ks) -> np.ndarray:
    """Words of one image hit within the top k proposals by ``scores`` (descending), for each k."""
    if match.shape[1] == 0:
        return np.zeros(len(ks), int)
    rank = np.empty(len(scores), np.int64)
    rank[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    first = np.where(match, rank[:, None], np.iinfo(np.int64).max).min(axis=0)
    return np.array([int((first < k).sum()) for k in ks])


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
    from textvision.proposals.train import iter_samples, word_boxes
    from textvision.weights import resolve

    tp = TextProposals(keep_features=True, diversity=None)
    images = []  # (features [n, 18], match [n, words])
    for s in tqdm(iter_samples(args.data, n=args.num_images, split="train"), desc="proposals", file=sys.stderr):
        p = tp(s.image)
        images.append((p.features.astype(np.float32), _hits_matrix(p.boxes, word_boxes(s.instances))))
    n_words = sum(m.shape[1] for _, m in images)
    ks = (10, 100, 1000)
    fold = np.arange(len(images)) % args.folds
    rng = np.random.default_rng(0)

    def train_rows(idx, balance):
        xs, ys, ws = [], [], []
        for i in idx:
            f, m = images[i]
            y = m.any(axis=1)
            neg = np.flatnonzero(~y)
            if len(neg) > args.negatives:
                neg = rng.choice(neg, args.negatives, replace=False)
            pos = np.flatnonzero(y)
            w = np.ones(len(pos) + len(neg))
            if balance == "image" and len(pos):
                w[: len(pos)] = 1.0 / len(pos)
            xs.append(f[np.concatenate([pos, neg])])
            ys.append(np.concatenate([np.ones(len(pos), bool), np.zeros(len(neg), bool)]))
            ws.append(w)
        x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
        return x, y, np.where(y, 0.5 * w / w[y].sum(), 0.5 * w / w[~y].sum())

    def held_out_hits(ranker, idx):
        return sum(_hits_at(ranker.decision_function(images[i][0]) * ranker.text_sign, images[i][1], ks)
                   for i in idx)

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
                total += held_out_hits(Ranker.fit(x, y, num_stumps=stumps, sample_weight=w), np.flatnonzero(fold == k))
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
