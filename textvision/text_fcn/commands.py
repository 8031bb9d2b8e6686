"""CLI: ``textvision segment`` (heatmaps) and ``textvision train-text-fcn`` (TextFCN training).

Argparse only at import time (heavy imports happen inside the handlers), so ``textvision --help`` is instant.
"""
from __future__ import annotations

from textvision import io
from textvision._cli import Skipped, distinct_stems, output_folder
from textvision.text_fcn import DEFAULT_MAX_SIDE


def register(sub) -> None:
    p = sub.add_parser("segment", help="per-pixel text probability maps (TextFCN) as 8-bit PNG heatmaps",
                       description="Write each IMAGE's text probability map as OUT/<stem>_heatmap.png (0-255 = "
                                   "probability x 255) and, with --overlay, OUT/<stem>_overlay.jpg. Two inputs "
                                   "with the same file stem (a/x.png, b/x.jpg) would write the same files: the "
                                   "command refuses them before any work. An image that cannot be read is "
                                   "reported and skipped; the exit status is then 1.")
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="input image files (any format OpenCV reads) or folders of images")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--model", default="default", metavar="W",
                   help="TextFCN weights: a registry name (see `textvision weights`) or a checkpoint path "
                        "(default: the shipped default, text_fcn_ic15)")
    p.add_argument("--force", action="store_true",
                   help="OUT may hold an earlier run's heatmaps/overlays: they are removed before this run writes")
    p.add_argument("--overlay", action="store_true", help="also write a red overlay of the map on the image")
    p.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE,
                   help=f"longer side the network sees (0 = native size; default {DEFAULT_MAX_SIDE}, "
                        f"so 1280x720 photos run at native size)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="threshold for the printed text coverage (default 0.5)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_segment)

    t = sub.add_parser("train-text-fcn", help="train a TextFCN (lite or vgg16) on synthetic scenes, ICDAR or COCO-Text",
                       description="Train TextFCN. Under torchrun (WORLD_SIZE > 1) it runs DistributedDataParallel.")
    t.add_argument("--data", required=True,
                   help="synth | photos:DIR[;DIR] (synthetic text on real photographs) | teacher:LABEL_DIR "
                        "(photos labelled by `textvision teacher-label`) | icdar2015:DIR | icdar2013:DIR | "
                        "cocotext:JSON,IMAGES_DIR; join several with + to mix them, SPEC*K repeats a part K times")
    t.add_argument("--fonts", action="append", default=[], metavar="DIR",
                   help="also draw synthetic text in the TrueType/OpenType faces under DIR that have Latin "
                        "glyphs (repeatable; e.g. /usr/share/fonts)")
    t.add_argument("--arch", choices=("lite", "vgg16"), default="lite")
    t.add_argument("--out", required=True, metavar="CKPT",
                   help="checkpoint written after every epoch; an existing file is only overwritten when "
                        "it is the --resume checkpoint")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=8)
    t.add_argument("--crop", type=int, default=256, help="square training crop side (pixels)")
    t.add_argument("--lr", type=float, default=None, help="AdamW learning rate (default 3e-3 lite, 1e-4 vgg16)")
    t.add_argument("--weight-decay", type=float, default=1e-4)
    t.add_argument("--warmup-steps", type=int, default=50)
    t.add_argument("--balance", choices=("none", "sqrt", "inverse"), default="sqrt",
                   help="class-balanced cross-entropy weights from the text pixel fraction")
    t.add_argument("--dice", type=float, default=0.0, help="weight of an added soft-Dice term on the text class")
    t.add_argument("--masks", choices=("auto", "box", "pixel"), default="auto",
                   help="targets from word boxes (as the original), pixel masks, or pixel masks when present")
    t.add_argument("--widths", default="16,32,64,96,128", help="lite encoder channels (5 comma-separated ints)")
    t.add_argument("--backbone-weights", default=None,
                   help="VGG16 weights for --arch vgg16: a torchvision ImageNet file (e.g. vgg16-397923af.pth) or "
                        "a vgg16 registry name such as 'hed' (nothing is downloaded, no cache is searched)")
    t.add_argument("--export", default=None, metavar="WEIGHTS",
                   help="at the end also write a weights-only copy (config, weights, metrics; no optimizer)")
    t.add_argument("--resume", default=None, metavar="CKPT", help="continue a run from its checkpoint")
    t.add_argument("--init", default=None, metavar="W",
                   help="start from these weights (checkpoint path or text_fcn registry name; fresh optimizer)")
    t.add_argument("--synth-n", type=int, default=2000, help="synthetic training scenes")
    t.add_argument("--synth-val-n", type=int, default=100, help="synthetic validation scenes (disjoint seeds)")
    t.add_argument("--synth-size", default="320x320", help="synthetic scene size HxW")
    t.add_argument("--cache-dir", default=None, help="cache rendered synthetic scenes here (.npz)")
    t.add_argument("--val-fraction", type=float, default=0.1,
                   help="held-out fraction of teacher / icdar2013 / cocotext data (default 0.1)")
    t.add_argument("--holdout", default=None, metavar="NAMES",
                   help="images an icdar2015: part holds out for validation (default img_901-img_1000)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default=None)
    t.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    t.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    t.add_argument("--no-progress", action="store_true", help="no progress bar / epoch lines")
    t.set_defaults(func=_train)


def _parse_hw(s: str):
    try:
        h, w = (int(v) for v in s.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 320x320, got {s!r}") from None
    return h, w


def _segment(args) -> int:
    import sys
    from pathlib import Path

    import numpy as np
    import torch
    from tqdm import tqdm

    from textvision.models.text_fcn import text_fcn
    from textvision.text_fcn import segment, text_coverage

    if args.max_side < 0:
        raise ValueError(f"--max-side must be >= 0 (0 = native size), got {args.max_side}")
    out = Path(args.out)
    paths = []
    for item in args.images:
        p = Path(item)
        # Folders expand to their images; a missing or unreadable file is reported per image below.
        paths.extend(io.list_images(p) if p.is_dir() else [p])
    paths = distinct_stems(paths, str(out / "{stem}_heatmap.png"))
    # Every check that can fail for all images runs before the first image.
    folder = output_folder(out, ("*_heatmap.png", "*_overlay.jpg"), args.force, kind="heatmap file")
    model = text_fcn(weights=args.model)
    # textvision.segment's default for a registry name or path: CUDA when available, else the CPU.
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    folder.clear_stale()  # every check passed: from here on the folder holds this run only
    skipped = Skipped("segment", len(paths))
    bar = tqdm(paths, unit="img", desc="segment", disable=args.no_progress or len(paths) < 2, file=sys.stderr)
    for path in bar:
        try:
            rgb = io.read_rgb(path)
        except (FileNotFoundError, ValueError) as exc:
            skipped.add(path, exc)
            continue
        heat = segment(rgb, model, max_side=args.max_side or None, device=device)
        h8 = np.clip(heat * 255.0 + 0.5, 0, 255).astype(np.uint8)
        target = io.write_image(out / f"{path.stem}_heatmap.png", h8)
        if args.overlay:
            a = heat[:, :, None] * 0.6
            red = np.zeros_like(rgb)
            red[:, :, 0] = 255
            io.write_image(out / f"{path.stem}_overlay.jpg", (rgb * (1 - a) + red * a).astype(np.uint8))
        tqdm.write(f"{path}: text coverage {text_coverage(heat, args.threshold):.4f} -> {target}", file=sys.stdout)
    skipped.check()
    return 0


def _check_train_outputs(args) -> None:
    """Before any data is rendered: outputs writable, no checkpoint overwritten by accident, weights readable."""
    import os

    for flag, path in (("--out", args.out), ("--export", args.export)):
        if path is None:
            continue
        io.check_output_file(path, f"{flag} file")
        if not os.path.exists(path):
            continue
        # Resuming rewrites the run's own files; it must not clobber the --out of another run.
        resumes_it = bool(args.resume) and (flag == "--export" or (
            os.path.exists(args.resume) and os.path.samefile(path, args.resume)))
        if not resumes_it:
            raise FileExistsError(f"{flag} {path} exists; pass --resume {args.out} to continue that run, or "
                                  f"choose another {flag} (nothing was overwritten)")
    if args.resume and args.init:
        raise ValueError("give --resume (continue a run) or --init (start from weights), not both")
    if args.resume or args.init:
        from textvision.models.text_fcn import text_fcn

        text_fcn(weights=args.resume or args.init)  # refused / missing / wrong-kind files fail here, in one line
    if args.backbone_weights is not None:
        # Read before any scene is rendered (~25 s): a missing or refused file fails here, in one line.
        from textvision.models.text_fcn import text_fcn

        text_fcn("vgg16", backbone_weights=args.backbone_weights)


def _fonts(dirs):
    if not dirs:
        return ()
    from textvision.data.synth import find_fonts

    return tuple(find_fonts(dirs, required=True))


def _train(args) -> int:
    from textvision.text_fcn.train import TextFCNTrainConfig, format_epoch, make_sources, train_text_fcn

    try:
        widths = tuple(int(v) for v in args.widths.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 5:
        raise ValueError(f"--widths needs 5 comma-separated ints, got {args.widths!r}")
    _check_train_outputs(args)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    train, val = make_sources(args.data, mask_source=args.masks, synth_n=args.synth_n,
                              synth_val_n=args.synth_val_n, synth_size=_parse_hw(args.synth_size),
                              seed=args.seed, val_fraction=args.val_fraction, cache_dir=args.cache_dir,
                              progress=not args.no_progress, fonts=_fonts(args.fonts), holdout=args.holdout)
    cfg = TextFCNTrainConfig(out=args.out, arch=args.arch, widths=widths, backbone_weights=args.backbone_weights,
                             epochs=args.epochs, batch_size=args.batch_size, crop=args.crop, lr=args.lr,
                             weight_decay=args.weight_decay, warmup_steps=args.warmup_steps, balance=args.balance,
                             dice_weight=args.dice, seed=args.seed, device=args.device, workers=args.workers,
                             threads=args.threads, resume=args.resume, init=args.init, export=args.export,
                             progress=not args.no_progress)
    on_epoch = None if args.no_progress else (lambda record: print(format_epoch(record), flush=True))
    result = train_text_fcn(cfg, train, val, on_epoch=on_epoch)
    if result.history and not args.no_progress:
        last = result.history[-1]
        print(f"saved {result.checkpoint} (epoch {int(last['epoch'])}, val F1 {last.get('f1', float('nan')):.3f})")
    return 0
