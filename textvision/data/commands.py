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

    # Issue 20: CRAFT teacher labels for real photographs (handler below, heavy imports inside it).
    p = sub.add_parser(
        "teacher-label", help="label real photos with the CRAFT teacher (TextFCN training targets)",
        description="Scan PHOTOS (files or folders, recursively) for usable photographs and run the CRAFT "
                    "teacher once per photo, writing OUT/<stem>-<hash>.npz (target, weight, word quads). "
                    "Photos already labelled are skipped, so an interrupted run resumes. Needs pip install "
                    "\"textvision[pretrained]\". Keep evaluation photos out with --exclude.")
    p.add_argument("photos", nargs="+", metavar="PHOTOS", help="photo files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="folder for the label files")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="leave out files whose path matches GLOB (repeatable), e.g. '*/examples/text/*'")
    p.add_argument("--max-side", type=int, default=1280, help="longest side CRAFT sees and labels (default 1280)")
    p.add_argument("--min-side", type=int, default=64, help="skip images with a shorter side (default 64)")
    p.add_argument("--weights", default="default",
                   help="CRAFT weights: 'default' (craft_mlt_25k) or a state_dict path (default: default)")
    p.set_defaults(func=_teacher_label)


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


# Issue 20: handler of ``teacher-label``.
def _teacher_label(args) -> int:
    import sys

    from textvision.data.photos import scan_photos
    from textvision.data.teacher import label_photos
    from textvision.io import check_output_dir

    if args.max_side < 32:
        raise ValueError(f"--max-side must be >= 32, got {args.max_side}")
    check_output_dir(args.out, "--out folder")  # before the scan, which decodes every photo
    scan = scan_photos(args.photos, min_side=args.min_side, exclude=args.exclude)
    for s in scan.skipped:
        if s.reason == "unreadable":
            print(f"skipped {s.path}: {s.detail}", file=sys.stderr)
    counts = ", ".join(f"{n} {r}" for r, n in sorted(scan.skipped_counts().items())) or "none"
    print(f"{len(scan.paths)} photos found ({scan.excluded} excluded by --exclude; skipped: {counts})")
    stats = label_photos(scan.paths, args.out, max_side=args.max_side, weights=args.weights, progress=True)
    for path, reason in stats.failed:
        print(f"failed {path}: {reason}", file=sys.stderr)
    print(f"labelled {stats.labelled} photo(s), {stats.existing} already labelled, {len(stats.failed)} failed, "
          f"in {args.out} ({stats.seconds:.1f} s)")
    bad = len(stats.failed) + scan.skipped_counts().get("unreadable", 0)
    if bad:
        print(f"textvision teacher-label: {bad} photo(s) could not be read", file=sys.stderr)
    return 1 if bad else 0
