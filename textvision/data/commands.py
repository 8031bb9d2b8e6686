"""CLI: ``textvision synth`` (write a synthetic ICDAR 2015-format dataset)."""
from __future__ import annotations

import argparse


def _size(text: str):
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like HxW (e.g. 512x512), got {text!r}") from None
    if h < 16 or w < 16:
        raise argparse.ArgumentTypeError(f"size must be at least 16x16, got {text!r}")
    return h, w


def register(sub) -> None:
    p = sub.add_parser(
        "synth", help="render a synthetic scene-text dataset in ICDAR 2015 layout",
        description="Render N synthetic scenes into OUT/images/img_K.<ext>, OUT/gt/gt_img_K.txt (ICDAR 2015 "
                    "format) and OUT/masks/img_K.png (text pixels = 255), K = 1..N. Scene K is "
                    "render_scene((seed, K-1), size), the same as SynthDataset(N, size, seed)[K-1]. Files are "
                    "written atomically and existing complete items are kept, so an interrupted run resumes.")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--n", type=int, required=True, help="number of images")
    p.add_argument("--size", type=_size, default=(512, 512), help="HxW (default 512x512)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("jpg", "png"), default="jpg", help="image format (default jpg, quality 95)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: number of CPUs, at most 8)")
    p.add_argument("--fonts", nargs="*", default=(), help="extra TrueType/OpenType font files")
    p.add_argument("--backgrounds", default=None, help="folder of background photos (random crops are used)")
    p.add_argument("--overwrite", action="store_true", help="re-render items that already exist")
    p.set_defaults(func=_synth)


def _synth(args) -> int:
    from textvision.data.synth_writer import write_synth_dataset

    if args.n < 0:
        raise ValueError(f"--n must be >= 0, got {args.n}")
    stats = write_synth_dataset(args.out, args.n, size=args.size, seed=args.seed, fmt=args.format,
                                workers=args.workers, fonts=args.fonts, backgrounds=args.backgrounds,
                                overwrite=args.overwrite, progress=True)
    print(f"wrote {stats['written']} scene(s) ({stats['skipped']} existing kept), {stats['words']} words, "
          f"to {args.out} in {stats['seconds']:.1f} s ({stats['scenes_per_s']:.1f} scenes/s)")
    return 0
