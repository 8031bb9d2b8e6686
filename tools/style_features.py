"""Which loss network tells text styles apart: HED's VGG16, CRAFT's VGG16-BN, or a random VGG16.

A style loss compares Gram matrices (relu1_2, relu2_2, relu3_3, relu4_3). A loss network is useful
when the Grams of two pieces of text in the *same* style are closer than those of different styles,
whatever the letters. Measured by style retrieval on pairs of views that share a style but not
their letters:

- real word crops: the two halves (left / right) of one word cut from a real photograph, the words
  found by CRAFT in the cached teacher labels (``/work/cache/craft_labels``, ``--labels``), and of the
  OpenCV sample word crops ``scenetext_word0*.jpg`` (style sources only; the evaluation photos
  ``scenetext0[1-6].jpg`` and ``scenetext_segmented_word*`` are never read);
- font styles: the same machine-printed look (face, fill, outline, texture) on two different words
  (``textvision.style.sources.render_font_style``, faces from ``find_fonts``).

For each network: top-1 retrieval accuracy (query view A_i, gallery of all B views; hit when the
nearest is B_i; both directions averaged), mean reciprocal rank, and the AUC of "same style" pair
distances against "different style" ones. Distances: squared Frobenius distance of Grams, each layer
divided by the mean squared Gram norm of that layer over the set (so networks of different scale
compare fairly), averaged over the layers. Three variants of the views: ``colour``; ``grey`` (grey
levels); ``grey_norm`` (grey, each view brought to the same mean and contrast, so only the shape of
strokes and texture is left: the two halves of a word share colour and lighting, a shortcut that even
random features take).

    python tools/style_features.py [--labels /work/cache/craft_labels] [--samples DIR] [--fonts 16]

Writes tools/results/style_features.json. One CPU thread, about a minute.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import re
import time

import cv2
import numpy as np
import torch

from textvision import io
from textvision.style.losses import STYLE_LAYERS, gram_matrix, loss_network
from textvision.style.sources import render_font_style, word_crops

EVAL_PHOTO = re.compile(r"scenetext0[1-6]\.|scenetext_segmented_word")
VIEW_HEIGHT = 64


def _halves(crop):
    w = crop.shape[1]
    return crop[:, : w // 2], crop[:, w // 2:]


def real_pairs(labels_dir, samples_dir, per_photo=2, min_height=20):
    from textvision.data.teacher import load_labelled_photo, read_teacher_label

    pairs = []
    for p in sorted(glob.glob(os.path.join(samples_dir, "scenetext_word0*.jpg"))):
        pairs.append(("opencv:" + os.path.basename(p), *_halves(io.read_rgb(p))))
    for p in sorted(glob.glob(os.path.join(labels_dir, "*.npz"))):
        label = read_teacher_label(p)
        if EVAL_PHOTO.search(label.source.name) or not len(label.quads) or not label.source.is_file():
            continue
        crops, _ = word_crops(load_labelled_photo(label), label.quads, min_height=min_height, pad=0.1)
        crops = [c for c in crops if c.shape[1] >= 2 * c.shape[0]][:per_photo]  # halves need letters
        pairs += [(f"photo:{label.source.name}#{k}", *_halves(c)) for k, c in enumerate(crops)]
    return pairs


def font_pairs(n, seed=0):
    from textvision.data.synth import find_fonts

    fonts = find_fonts(["/usr/share/fonts"])
    if not fonts:
        return []
    picks = [fonts[int(i)] for i in np.unique(np.linspace(0, len(fonts) - 1, min(n, len(fonts))).round())]
    rng = np.random.default_rng(seed)
    textures = ("solid", "gradient", "noise", "stripes")
    pairs = []
    for k, font in enumerate(picks):
        dark = bool(rng.integers(2))
        fg, bg = ((0, 110), (150, 256)) if dark else ((150, 256), (0, 110))
        col = lambda r: tuple(int(v) for v in rng.integers(*r, 3))  # noqa: E731
        look = dict(fill=col(fg), fill2=col(fg), texture=str(rng.choice(textures)), background=col(bg),
                    background2=col(bg), background_texture=str(rng.choice(textures)), height=48, seed=k)
        if rng.integers(2):
            look.update(outline=col(bg if dark else fg), outline_px=3)
        pairs.append((f"font:{os.path.basename(font)}", render_font_style(font, "Harbour", **look),
                      render_font_style(font, "Question", **look)))
    return pairs


def _view(img, mode):
    s = VIEW_HEIGHT / img.shape[0]
    img = cv2.resize(img, (max(8, round(img.shape[1] * s)), VIEW_HEIGHT), interpolation=cv2.INTER_AREA)
    if mode != "colour":
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        if mode == "grey_norm":
            # Same mean and contrast for every view: only the shape of strokes and texture is left,
            # not the colour or brightness the two halves of one photo share anyway.
            g = img.astype(np.float32)
            img = np.clip(128 + 48 * (g - g.mean()) / max(1.0, float(g.std())), 0, 255).astype(np.uint8)
        img = np.repeat(img[..., None], 3, axis=2)
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float() / 255.0


@torch.no_grad()
def grams(net, views):
    """Per layer: (N, C, C) Grams; and per layer the RMS activation over the set."""
    out = {n: [] for n in STYLE_LAYERS}
    sq = {n: [0.0, 0] for n in STYLE_LAYERS}
    for v in views:
        feats = net(v)
        for n in STYLE_LAYERS:
            out[n].append(gram_matrix(feats[n])[0])
            sq[n][0] += float(feats[n].pow(2).sum())
            sq[n][1] += feats[n].numel()
    return {n: torch.stack(g) for n, g in out.items()}, {n: (s / c) ** 0.5 for n, (s, c) in sq.items()}


def distances(ga, gb):
    """(N, N) matrix: D[i, j] = mean over layers of ||Ga_i - Gb_j||^2 / mean ||G||^2."""
    D = 0
    for n in STYLE_LAYERS:
        a, b = ga[n].flatten(1).double(), gb[n].flatten(1).double()
        scale = torch.cat([a, b]).pow(2).sum(1).mean()
        D = D + torch.cdist(a, b).pow(2) / scale
    return (D / len(STYLE_LAYERS)).numpy()


def scores(D):
    n = D.shape[0]
    res = {}
    top1, mrr = [], []
    for M in (D, D.T):
        ranks = np.array([int((M[i] < M[i, i]).sum()) + 1 for i in range(n)])
        top1.append(float(np.mean(ranks == 1)))
        mrr.append(float(np.mean(1.0 / ranks)))
    pos = np.diag(D)
    neg = D[~np.eye(n, dtype=bool)]
    auc = float(np.mean(pos[:, None] < neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :]))
    res.update(top1=float(np.mean(top1)), mrr=float(np.mean(mrr)), auc=auc, n=n)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", default="/work/cache/craft_labels")
    ap.add_argument("--samples", default="/work/shared/data/opencv-text-samples")
    ap.add_argument("--fonts", type=int, default=16, help="font styles")
    ap.add_argument("--nets", nargs="+", default=["hed", "craft", "random"])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "style_features.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    groups = {"real": real_pairs(args.labels, args.samples), "font": font_pairs(args.fonts)}
    groups = {k: v for k, v in groups.items() if v}
    groups["all"] = [p for k in list(groups) for p in groups[k]]
    print("pairs: " + ", ".join(f"{k} {len(v)}" for k, v in groups.items()))
    results = {}
    for name in args.nets:
        net, desc = loss_network(name, warn=False)
        t0 = time.perf_counter()
        row = {"description": desc}
        for mode in ("colour", "grey", "grey_norm"):
            for g, pairs in groups.items():
                ga, rms = grams(net, [_view(a, mode) for _, a, _ in pairs])
                gb, _ = grams(net, [_view(b, mode) for _, _, b in pairs])
                row[g if mode == "colour" else f"{g}_{mode}"] = scores(distances(ga, gb))
                if g == "all" and mode == "colour":
                    row["activation_rms"] = rms
        row["seconds"] = round(time.perf_counter() - t0, 2)
        results[name] = row
        print(f"{name:7s} ({desc}): " + "; ".join(
            f"{k} top1 {v['top1']:.2f} mrr {v['mrr']:.2f} auc {v['auc']:.3f}" for k, v in row.items()
            if isinstance(v, dict) and "top1" in v))
    out = {"what": "style retrieval between two views (halves of one real word / one font look on two words) "
                   "by layer-normalised Gram distance, relu1_2..relu4_3",
           "pairs": {k: [p[0] for p in v] for k, v in groups.items() if k != "all"},
           "view_height": VIEW_HEIGHT, "results": results,
           "machine": platform.processor() or platform.machine(), "torch": torch.__version__}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
