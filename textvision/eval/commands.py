"""CLI: ``textvision evaluate`` (ICDAR 2015 / ICDAR 2013 DetEval on folders or zips)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="score detections against ground truth (ICDAR 2015 IoU or ICDAR 2013 DetEval)",
        description="GT and DET are folders (or .zip files) in the official layout: gt_img_N.txt and "
                    "res_img_N.txt. A folder holding a gt/ subfolder (as `textvision synth` writes) is also "
                    "accepted for --gt.")
    p.add_argument("--gt", required=True,
                   help="ground-truth folder or zip (gt_img_*.txt; res_*.txt files in it are never read as gt)")
    p.add_argument("--det", required=True,
                   help="detections folder or zip (res_img_*.txt); refused when it holds the gt files themselves")
    p.add_argument("--protocol", choices=("icdar2015", "icdar2013"), default="icdar2015")
    p.add_argument("--per-image", action="store_true", help="also print one line per image")
    p.add_argument("--json", default=None, help="write the metrics (and per-image results) to this JSON file")
    p.add_argument("--lenient", action="store_true", help="skip malformed lines instead of failing")
    p.set_defaults(func=_evaluate)


def _evaluate(args) -> int:
    import json
    from pathlib import Path

    from textvision.data.icdar import MalformedGroundTruth
    from textvision.eval import deteval_icdar2013, icdar2015
    from textvision.io import atomic_write_text, check_output_file

    if args.json:
        check_output_file(args.json, what="--json file")  # before the evaluation, not after it
    gt = Path(args.gt)
    if gt.is_dir() and not any(gt.glob("gt_*.txt")) and (gt / "gt").is_dir():
        gt = gt / "gt"
    fn = icdar2015 if args.protocol == "icdar2015" else deteval_icdar2013
    try:
        r = fn(gt, Path(args.det), strict=not args.lenient)
    except MalformedGroundTruth as exc:
        raise exc.with_hint("pass --lenient to skip malformed lines") from None
    if args.per_image:
        for im in r["per_image"]:
            print(f"{im['image']}: precision {im['precision']:.4f} recall {im['recall']:.4f} "
                  f"hmean {im['hmean']:.4f}")
    print(f"{args.protocol}: precision {r['precision']:.4f}  recall {r['recall']:.4f}  "
          f"hmean {r['hmean']:.4f}  ({r['num_gt']} care GT words, {r['num_det']} care detections, "
          f"{len(r['per_image'])} images)")
    if args.json:
        atomic_write_text(args.json, json.dumps(r, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
    return 0
