"""CLI: ``textvision augment`` (restyle the text of a whole ICDAR / COCO-Text training set)."""
from __future__ import annotations

_EPILOG = """\
examples:
  textvision augment ic15/ ic15_aug/ --format icdar2015 --model style.pt --styles-per-image 4
  textvision augment ic13/ ic13_aug/ --format icdar2013 --model distilled.pt --include-originals
  textvision augment coco/ coco_aug/ --format cocotext --model style.pt --split train
  # array job / several machines: one shard each, the last one to finish merges
  textvision augment ic15/ ic15_aug/ --format icdar2015 --model style.pt --shard 3/8
  torchrun --nproc-per-node 4 -m textvision augment ... --device cuda   # RANK/WORLD_SIZE shards
Re-running the same command resumes: finished outputs are skipped.
"""


def register(sub) -> None:
    import argparse

    p = sub.add_parser(
        "augment", help="write restyled copies of an ICDAR / COCO-Text training set (same ground truth)",
        description="Write K restyled copies of every image of SRC (selective text style transfer) with "
                    "its ground truth into DST, in the same format and folder layout, plus a manifest "
                    "CSV and a summary JSON. SRC is never written to.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", metavar="SRC", help="source dataset folder (only read)")
    p.add_argument("dst", metavar="DST", help="output folder (created; must not overlap SRC)")
    p.add_argument("--format", required=True, choices=("icdar2015", "icdar2013", "cocotext"),
                   help="dataset format of SRC (and of the output)")
    p.add_argument("--model", default="default", metavar="STYLE.pt",
                   help="style checkpoint from train-style / distill (two-stage teacher or distilled), or a "
                        "registry name: default (the shipped two-stage model, the default) or default-distilled")
    p.add_argument("--fcn", metavar="W", default=None,
                   help="TextFCN checkpoint for the two-stage mode (default: the shipped lite weights)")
    p.add_argument("--mode", choices=("two-stage", "distilled"), default=None,
                   help="default: the checkpoint's kind")
    p.add_argument("--threshold", type=float, default=None,
                   help="two-stage: zero the text map below this (0..1) so the background stays exact")
    p.add_argument("--styles-per-image", "-k", type=int, default=1, metavar="K",
                   help="restyled copies per image (default 1)")
    p.add_argument("--styles", default=None, metavar="A,B,...",
                   help="comma-separated style names to draw from (default: all of the model's)")
    p.add_argument("--include-originals", action="store_true", help="also copy the original images and gt")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1 (default cpu)")
    p.add_argument("--batch-size", type=int, default=4, metavar="B", help="copies per forward pass (default 4)")
    p.add_argument("--workers", type=int, default=1, metavar="W",
                   help="local processes sharing the work (default 1)")
    p.add_argument("--shard", default=None, metavar="i/n",
                   help="process only shard i of n (array jobs); default: RANK/WORLD_SIZE when set")
    p.add_argument("--jpeg-quality", type=int, default=95, help="quality of written JPEGs (default 95)")
    p.add_argument("--annotations", default=None, metavar="JSON",
                   help="cocotext: the annotation JSON under SRC when there are several")
    p.add_argument("--split", default=None, help="cocotext: only images of this set (train, val)")
    p.add_argument("--skip-empty", action="store_true",
                   help="leave out images without any annotated word (many COCO-Text images have none)")
    p.add_argument("--lenient", action="store_true",
                   help="ICDAR formats: leave malformed gt lines out of the copied gt (with a warning) "
                        "instead of skipping the whole image as a bad input")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_augment)


class _StderrLines:
    """Log records of ``textvision`` as ``textvision augment: MESSAGE`` lines on stderr, written through
    tqdm so that a progress bar on the same stream is redrawn below them rather than torn."""

    def __enter__(self):
        import logging

        from tqdm import tqdm

        class Handler(logging.Handler):
            def emit(self, record):
                import sys

                tqdm.write(f"textvision augment: {self.format(record)}", file=sys.stderr)

        self.logger = logging.getLogger("textvision")
        self.handler = Handler(logging.INFO)
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        return False


def _augment(args) -> int:
    import json
    import sys

    from textvision.augment.dataset import SUMMARY_NAME, AugmentOptions, augment_dataset, parse_shard

    styles = [s.strip() for s in args.styles.split(",") if s.strip()] if args.styles else None
    opts = AugmentOptions(
        format=args.format, model=args.model, styles_per_image=args.styles_per_image,
        include_originals=args.include_originals, seed=args.seed, styles=styles, mode=args.mode,
        fcn=args.fcn, threshold=args.threshold, device=args.device, batch_size=args.batch_size,
        jpeg_quality=args.jpeg_quality, annotations=args.annotations, split=args.split,
        skip_empty=args.skip_empty, lenient=args.lenient)
    try:
        with _StderrLines():
            res = augment_dataset(args.src, args.dst, opts, shard=parse_shard(args.shard), workers=args.workers,
                                  progress=not args.no_progress)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise  # the CLI reports it in one line already
        # DST is probed before the work; this is a write failing midway (disk full, permissions
        # changed): one line, and the hint that a re-run resumes.
        where = exc.filename or args.dst
        raise RuntimeError(f"cannot write {where}: {exc.strerror or exc}; fix it and re-run the same "
                           f"command to resume") from None
    print(f"wrote {res.written} image(s), {res.resumed} already done, {len(res.errors)} bad input(s) "
          f"in {res.elapsed_s:.1f} s")
    if res.merged:
        s = res.summary
        print(f"{s['outputs']} restyled + {s['originals']} original image(s) from {s['images_augmented']} of "
              f"{s['images_found']} source images; {s['bad_inputs']} bad input(s) "
              f"{json.dumps(s['bad_inputs_by_kind'])}; summary: {args.dst}/{SUMMARY_NAME}")
    else:
        print("other shards are still running: the last one to finish writes the manifest and summary",
              file=sys.stderr)
    return 0
