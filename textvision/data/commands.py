"""CLI: ``textvision synth`` (write a synthetic ICDAR 2015-format dataset)."""
from __future__ import annotations

import argparse

from textvision._cli import output_folder, own_files, positive_int
from textvision.io import atomic_write_text


def _size(text: str):
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like HxW (e.g. 512x512), got {text!r}") from None
    if h < 16 or w < 16:
        raise argparse.ArgumentTypeError(f"size must be at least 16x16, got {text!r}")
    return h, w


# What `synth` writes into OUT (its own files) and the record of the settings that made them.
_SYNTH_FILES = ("images/img_*.*", "gt/gt_img_*.txt", "masks/img_*.png", "synth_settings.json")
_SYNTH_RECORD = "synth_settings.json"


def register(sub) -> None:
    p = sub.add_parser(
        "synth", help="render a synthetic scene-text dataset in ICDAR 2015 layout",
        description="Render N synthetic scenes into OUT/images/img_K.<ext>, OUT/gt/gt_img_K.txt (ICDAR 2015 "
                    "format) and OUT/masks/img_K.png (text pixels = 255), K = 1..N. Scene K is "
                    "render_scene((seed, K-1), size), the same as SynthDataset(N, size, seed)[K-1]. Files are "
                    "written atomically; OUT/synth_settings.json records the settings. An OUT that already holds "
                    "scenes is refused unless --resume (an interrupted run with the same settings: complete items "
                    "are kept) or --force (the earlier scenes are removed first).")
    p.add_argument("--out", required=True, help="required: output folder")
    p.add_argument("--n", type=positive_int, required=True, help="required: number of images")
    p.add_argument("--size", type=_size, default=(512, 512), help="HxW (default 512x512)")
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument("--format", choices=("jpg", "png"), default="jpg", help="image format (default jpg, quality 95)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="processes (default: number of CPUs, at most 8)")
    p.add_argument("--fonts", nargs="*", default=(), help="extra TrueType/OpenType font files")
    p.add_argument("--backgrounds", default=None, help="folder of background photos (random crops are used)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="continue the run in OUT (same settings): complete items are kept")
    again.add_argument("--force", "--overwrite", action="store_true", dest="force",
                       help="remove the scenes already in OUT, then render all (--overwrite: the old name)")
    p.set_defaults(func=_synth)

    # Issue 20: CRAFT teacher labels for real photographs (handler below, heavy imports inside it).
    p = sub.add_parser(
        "teacher-label", help="label real photos with the CRAFT teacher (TextFCN training targets)",
        description="Scan PHOTOS (files or folders, recursively) for usable photographs and run the CRAFT "
                    "teacher once per photo, writing OUT/<stem>-<hash>.npz (target, weight, word quads). "
                    "An OUT that already holds label files is refused unless --resume (photos already labelled "
                    "are kept, so an interrupted run continues) or --force (they are removed first). Needs pip "
                    "install \"textvision[pretrained]\". Keep evaluation photos out with --exclude.")
    p.add_argument("photos", nargs="+", metavar="PHOTOS", help="photo files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="required: folder for the label files")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="keep the labels already in OUT, add the missing ones")
    again.add_argument("--force", action="store_true", help="remove the labels already in OUT first")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="leave out files whose path matches GLOB (repeatable), e.g. '*/examples/text/*'")
    p.add_argument("--max-side", type=positive_int, default=1280,
                   help="longest side CRAFT sees and labels (default 1280)")
    p.add_argument("--min-side", type=positive_int, default=64, help="skip images with a shorter side (default 64)")
    p.add_argument("--model", default="default",
                   help="CRAFT weights: a registry name ('default': craft_mlt_25k) or a state_dict path "
                        "(default: default)")
    p.set_defaults(func=_teacher_label)


def _synth(args) -> int:
    import json
    from pathlib import Path

    from textvision.data.synth_writer import write_synth_dataset

    settings = {"n": args.n, "size": list(args.size), "seed": args.seed, "format": args.format,
                "fonts": [str(f) for f in args.fonts], "backgrounds": args.backgrounds}
    out = output_folder(args.out, _SYNTH_FILES, args.force or args.resume, kind="synth file",
                        hint="pass --resume to continue that run (same settings) or --force to replace it")
    record = Path(args.out) / _SYNTH_RECORD
    if args.resume and record.is_file():
        old = json.loads(record.read_text("utf-8"))
        diff = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
        if diff:
            shown = "; ".join(f"{k} {old.get(k)!r} there, {settings.get(k)!r} now" for k in diff)
            raise ValueError(f"--out {args.out} holds scenes made with other settings ({shown}); resume with "
                             f"those, or pass --force to replace that run")
    if args.force:
        out.clear_stale()
    atomic_write_text(record, json.dumps(settings, indent=1) + "\n")
    try:
        stats = write_synth_dataset(args.out, args.n, size=args.size, seed=args.seed, fmt=args.format,
                                    workers=args.workers, fonts=args.fonts, backgrounds=args.backgrounds,
                                    progress=True)
    except BaseException:
        if own_files(args.out, _SYNTH_FILES) == [record]:
            record.unlink()  # nothing was rendered: there is no run to record
        raise
    print(f"wrote {stats.written} scene(s) ({stats.skipped} existing kept), {stats.words} words, "
          f"to {args.out} in {stats.seconds:.1f} s ({stats.scenes_per_s:.1f} scenes/s)")
    return 0


# Issue 20: handler of ``teacher-label``.
def _teacher_label(args) -> int:
    import sys

    from textvision.data.photos import scan_photos
    from textvision.data.teacher import label_photos
    from textvision.weights import resolve

    if args.max_side < 32:
        raise ValueError(f"--max-side must be >= 32, got {args.max_side}")
    # Both before the scan, which decodes every photo.
    out = output_folder(args.out, ("*.npz",), args.force or args.resume, kind="label file",
                        hint="pass --resume to keep them and label the rest or --force to replace them")
    resolve(args.model, "craft")  # a wrong name or a missing package: now, not after the scan
    scan = scan_photos(args.photos, min_side=args.min_side, exclude=args.exclude)
    for s in scan.skipped:
        if s.reason == "unreadable":
            print(f"skipped {s.path}: {s.detail}", file=sys.stderr)
    counts = str(scan.skipped_counts()) or "none"
    print(f"{len(scan.paths)} photos found ({scan.excluded} excluded by --exclude; skipped: {counts})")
    if not scan.paths:
        raise ValueError(f"no usable photograph in {', '.join(args.photos)} (skipped: {counts})")
    if args.force:
        out.clear_stale()
    stats = label_photos(scan.paths, args.out, max_side=args.max_side, model=args.model, progress=True)
    for path, reason in stats.failed:
        print(f"failed {path}: {reason}", file=sys.stderr)
    print(f"labelled {stats.labelled} photo(s), {stats.existing} already labelled, {len(stats.failed)} failed, "
          f"in {args.out} ({stats.seconds:.1f} s)")
    bad = len(stats.failed) + scan.skipped_counts().unreadable
    if bad:
        from textvision._cli import InputsSkipped

        raise InputsSkipped(f"{bad} photo(s) could not be read or labelled (listed above)")
    return 0
