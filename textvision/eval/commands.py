"""CLI: ``textvision evaluate`` (ICDAR 2015 / ICDAR 2013 DetEval on folders or zips)."""
from __future__ import annotations

from textvision._cli import new_file
from textvision.io import atomic_write_text


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="score detections against ground truth (ICDAR 2015 IoU or ICDAR 2013 DetEval)",
        description="GT and DET are folders (or .zip files) in the official layout: gt_img_N.txt and "
                    "res_img_N.txt. A folder holding a gt/ subfolder (as `textvision synth` writes) is also "
                    "accepted for --gt. Ground-truth images without a result file count as images where "
                    "nothing was found, and the command says how many there are; an empty --gt or --det, or "
                    "result files that match no ground truth, are errors (exit status 1).")
    p.add_argument("--gt", required=True,
                   help="required: ground-truth folder or zip (gt_img_*.txt; res_*.txt files in it are never read "
                        "as gt)")
    p.add_argument("--det", required=True,
                   help="required: detections folder or zip (res_img_*.txt); refused when it holds the gt files "
                        "themselves")
    p.add_argument("--protocol", choices=("icdar2015", "icdar2013"), default="icdar2015",
                   help="default icdar2015 (IoU 0.5); icdar2013 is DetEval")
    p.add_argument("--per-image", action="store_true", help="also print one line per image")
    p.add_argument("--json", default=None, help="write the metrics (and per-image results) to this JSON file")
    p.add_argument("--force", action="store_true", help="replace the --json file when it exists")
    p.add_argument("--lenient", action="store_true", help="skip malformed lines instead of failing")
    p.set_defaults(func=_evaluate)


def _evaluate(args) -> int:
    import json
    import sys
    from pathlib import Path

    from textvision.data.icdar import MalformedGroundTruth
    from textvision.eval import deteval_icdar2013, icdar2015
    from textvision.eval._inputs import layout_keys

    if args.json:
        new_file(args.json, args.force, what="--json file")  # before the evaluation, not after it
    gt = Path(args.gt)
    if gt.is_dir() and not any(gt.glob("gt_*.txt")) and (gt / "gt").is_dir():
        gt = gt / "gt"
    # An empty or wrong folder would score 0 (or 1) without a word: nothing to evaluate is an error.
    gt_keys = layout_keys(gt, "gt")
    if not gt_keys:
        raise ValueError(f"--gt {args.gt} holds no ground-truth files (gt_img_N.txt)")
    det_keys = layout_keys(args.det, "det")
    if not det_keys:
        raise ValueError(f"--det {args.det} holds no result files (res_img_N.txt)")
    det_set = set(det_keys)
    if not det_set & set(gt_keys):
        raise ValueError(f"none of the {len(det_keys)} result files in --det {args.det} ({det_keys[0]} ...) names "
                         f"an image of --gt {args.gt} ({gt_keys[0]} ...)")
    without = [k for k in gt_keys if k not in det_set]
    fn = icdar2015 if args.protocol == "icdar2015" else deteval_icdar2013
    try:
        r = fn(gt, Path(args.det), strict=not args.lenient)
    except MalformedGroundTruth as exc:
        raise exc.with_hint("pass --lenient to skip malformed lines") from None
    if args.per_image:
        for im in r.per_image:
            print(f"{im.image}: precision {im.precision:.4f} recall {im.recall:.4f} hmean {im.hmean:.4f}")
    print(f"{args.protocol}: precision {r.precision:.4f}  recall {r.recall:.4f}  "
          f"hmean {r.hmean:.4f}  ({r.num_gt} care GT words, {r.num_det} care detections, "
          f"{len(r.per_image)} images)")
    if without:
        shown = ", ".join(without[:3]) + (" ..." if len(without) > 3 else "")
        print(f"textvision evaluate: warning: {len(without)} of {len(gt_keys)} ground-truth images have no result "
              f"file in {args.det} ({shown}); they count as images where nothing was found", file=sys.stderr)
    if args.json:
        out = {**r.as_dict(), "images_without_results": without}
        atomic_write_text(args.json, json.dumps(out, indent=1))
    return 0
