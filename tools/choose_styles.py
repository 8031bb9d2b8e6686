"""Keep the styles of a style model that restyle words most differently from each other (and keep them
legible), measured by ``benchmarks/eval_style.py --photos``.

    python benchmarks/eval_style.py --photos DATA --names img_901-img_1000 --teacher T.pt --no-craft --out E.json
    python tools/choose_styles.py E.json T.pt CHOSEN.pt --k 10 [--row two-stage] [--min-read 0.6]

Reads the row whose method starts with ``--row`` (default: the two-stage default blend), keeps as candidates
the styles whose ``read kept`` is at least ``--min-read`` (words read correctly on the input that are still
read after restyling with that style), and picks ``--k`` of them with
:func:`textvision.style.evaluate.most_distinct` on the row's ``style_pair_matrix`` (mean |a - b| inside
the words between the two styles' restylings). Writes ``T`` restricted to them (:meth:`StyleNet.subset`:
the same network, fewer styles) and prints the chosen styles with the mean pair difference before and after.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="eval_style.py photo-mode JSON (with style_pair_matrix)")
    ap.add_argument("model", help="the style model it measured (registry name or checkpoint)")
    ap.add_argument("out", help="the chosen-style model to write")
    ap.add_argument("--k", type=int, required=True, help="styles to keep")
    ap.add_argument("--row", default="two-stage (default", help="method prefix of the row to choose on")
    ap.add_argument("--min-read", type=float, default=0.0, help="candidates keep at least this read kept")
    args = ap.parse_args(argv)

    from textvision.models.style import style_net
    from textvision.style import save_style_model
    from textvision.style.evaluate import most_distinct

    res = json.load(open(args.results))
    rows = [r for r in res["rows"] if r["method"].startswith(args.row)]
    if len(rows) != 1:
        raise SystemExit(f"--row {args.row!r} matches {len(rows)} rows of {[r['method'] for r in res['rows']]}")
    row, names = rows[0], res["styles"]
    model = style_net(weights=args.model)
    if list(model.style_names) != list(names):
        raise SystemExit(f"{args.results} measured styles {names}, {args.model} has {model.style_names}")
    if "style_pair_matrix" not in row:
        raise SystemExit(f"{args.results} has no style_pair_matrix (written by eval_style.py since it measures "
                         f"every pair); rerun it")
    pair = np.asarray(row["style_pair_matrix"], np.float64)
    read = row.get("read_kept_per_style") or {}
    cand = [i for i, n in enumerate(names) if read.get(n, 1.0) >= args.min_read]  # NaN (no word read): out
    chosen = most_distinct(pair, args.k, cand)
    iu = np.triu_indices(len(names), 1)
    sub = pair[np.ix_(chosen, chosen)][np.triu_indices(len(chosen), 1)]
    print(f"{len(cand)} of {len(names)} styles keep read kept >= {args.min_read:g}; chose {args.k}:")
    for i in chosen:
        print(f"  {names[i]:34s} read kept {read.get(names[i], float('nan')):.2f}")
    print(f"mean style-pair difference inside words: all {len(names)} styles {pair[iu].mean():.1f}, "
          f"chosen {sub.mean():.1f} (min pair {sub.min():.1f})")
    save_style_model(model.subset([names[i] for i in chosen]), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
