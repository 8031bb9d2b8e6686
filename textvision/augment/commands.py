"""CLI: ``textvision augment`` (restyle the text of a whole ICDAR / COCO-Text training set)."""
from __future__ import annotations

from textvision._cli import InputsSkipped, non_negative_int, positive_int, probability

_EPILOG = """\
examples:
  textvision augment ic15/ ic15_aug/ --format icdar2015 --model style.pt --styles-per-image 4
  textvision augment ic13/ ic13_aug/ --format icdar2013 --model distilled.pt --include-originals
  textvision augment coco/ coco_aug/ --format cocotext --model style.pt --split train
  # array job / several machines: one shard each, the last one to finish merges
  textvision augment ic15/ ic15_aug/ --format icdar2015 --model style.pt --shard 3/8
  torchrun --nproc-per-node 4 -m textvision augment ... --device cuda   # RANK/WORLD_SIZE shards
An interrupted run continues with the same command and --resume: finished outputs are kept. A DST
that holds another run's files, or other files, is refused. Shards of one run (--shard, torchrun) share
DST and join the run there without --resume. A source image that cannot be used (no gt, unreadable,
malformed gt) is reported and skipped; the exit status is then 1.
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
    p.add_argument("dst", metavar="DST", help="output folder (created; empty or new unless --resume; must not "
                                              "overlap SRC)")
    p.add_argument("--format", required=True, choices=("icdar2015", "icdar2013", "cocotext"),
                   help="required: dataset format of SRC (and of the output)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in DST (same settings; finished outputs are kept)")
    p.add_argument("--model", default="default", metavar="STYLE.pt",
                   help="style checkpoint from train-style / distill (two-stage teacher or distilled), or a "
                        "registry name: default (the shipped two-stage model, the default) or default-distilled")
    p.add_argument("--fcn", metavar="W", default=None,
                   help="TextFCN weights for the two-stage mode: a registry name or a checkpoint (default: "
                        "'default', the shipped one)")
    p.add_argument("--mode", choices=("two-stage", "distilled"), default=None,
                   help="default: the checkpoint's kind")
    p.add_argument("--threshold", type=probability, default=None,
                   help="two-stage: zero the text map below this (0..1) so the background stays exact (default: "
                        "the model's blend threshold)")
    p.add_argument("--styles-per-image", "-k", type=positive_int, default=1, metavar="K",
                   help="restyled copies per image (default 1)")
    p.add_argument("--styles", default=None, metavar="A,B,...",
                   help="comma-separated style names to draw from (default: all of the model's)")
    p.add_argument("--include-originals", action="store_true", help="also copy the original images and gt")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1 (default cpu)")
    p.add_argument("--batch-size", type=positive_int, default=4, metavar="B",
                   help="copies per forward pass (default 4)")
    p.add_argument("--workers", type=positive_int, default=1, metavar="W",
                   help="local processes sharing the work (default 1)")
    p.add_argument("--shard", default=None, metavar="i/n",
                   help="process only shard i of n (array jobs); default: RANK/WORLD_SIZE when set")
    p.add_argument("--jpeg-quality", type=non_negative_int, default=95, help="quality of written JPEGs (default 95)")
    p.add_argument("--annotations", default=None, metavar="JSON",
                   help="cocotext: the annotation JSON under SRC when there are several")
    p.add_argument("--split", default=None, help="cocotext: only images of this set (train, val; default all)")
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


def _check_dst(dst, resume: bool, sharded: bool) -> None:
    """DST holds one run: an earlier one is continued only with --resume (or by its own shards)."""
    from pathlib import Path

    from textvision.augment.dataset import WORK_DIR

    dst = Path(dst)
    if not dst.is_dir() or not any(dst.iterdir()):
        return
    if not (dst / WORK_DIR).is_dir():
        raise FileExistsError(f"DST {dst} is not empty and holds no augment run; choose an empty or new folder "
                              f"(nothing was written)")
    if not (resume or sharded):
        raise FileExistsError(f"DST {dst} holds an augment run; pass --resume to continue it (same settings), or "
                              f"choose a new DST (nothing was written)")


def _augment(args) -> int:
    import json
    import os
    import sys

    from textvision.augment.dataset import SUMMARY_NAME, AugmentOptions, augment_dataset, parse_shard

    shard = parse_shard(args.shard)
    _check_dst(args.dst, args.resume, sharded=shard is not None or int(os.environ.get("WORLD_SIZE", "1")) > 1)
    styles = [s.strip() for s in args.styles.split(",") if s.strip()] if args.styles else None
    opts = AugmentOptions(
        format=args.format, model=args.model, styles_per_image=args.styles_per_image,
        include_originals=args.include_originals, seed=args.seed, styles=styles, mode=args.mode,
        fcn=args.fcn, threshold=args.threshold, device=args.device, batch_size=args.batch_size,
        jpeg_quality=args.jpeg_quality, annotations=args.annotations, split=args.split,
        skip_empty=args.skip_empty, lenient=args.lenient)
    try:
        with _StderrLines():
            res = augment_dataset(args.src, args.dst, opts, shard=shard, workers=args.workers,
                                  progress=not args.no_progress)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise  # the CLI reports it in one line already
        # DST is probed before the work; this is a write failing midway (disk full, permissions
        # changed): one line, and the hint that a re-run resumes.
        where = exc.filename or args.dst
        raise RuntimeError(f"cannot write {where}: {exc.strerror or exc}; fix it and re-run the same "
                           f"command with --resume") from None
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
    bad = res.summary["bad_inputs"] if res.merged else len(res.errors)
    if bad:
        raise InputsSkipped(f"{bad} bad input(s) skipped (listed above"
                            + (f" and in {args.dst}/{SUMMARY_NAME})" if res.merged else ")"))
    return 0
