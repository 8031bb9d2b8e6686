"""CLI: ``textvision segment`` (heatmaps) and ``textvision train-fcn`` (TextFCN training)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("segment", help="per-pixel text probability maps (TextFCN) as 8-bit PNG heatmaps",
                       description="Write IMAGE's text probability map as OUT/<stem>_heatmap.png (0-255 = "
                                   "probability x 255) and, with --overlay, OUT/<stem>_overlay.jpg.")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="input image files (any format OpenCV reads)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--weights", metavar="CKPT", help="TextFCN checkpoint (default: shipped text_fcn_lite)")
    p.add_argument("--overlay", action="store_true", help="also write a red overlay of the map on the image")
    p.add_argument("--max-side", type=int, default=512, help="longer side the network sees (0 = native size)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.add_argument("--threshold", type=float, default=0.5, help="threshold for the printed text coverage")
    p.set_defaults(func=_segment)

    t = sub.add_parser("train-fcn", help="train a TextFCN (lite or vgg16) on synthetic scenes, ICDAR or COCO-Text",
                       description="Train TextFCN. Under torchrun (WORLD_SIZE > 1) it runs DistributedDataParallel.")
    t.add_argument("--data", required=True,
                   help="synth | icdar2015:DIR | icdar2013:DIR | cocotext:JSON,IMAGES_DIR")
    t.add_argument("--arch", choices=("lite", "vgg16"), default="lite")
    t.add_argument("--out", required=True, metavar="CKPT", help="checkpoint written after every epoch")
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
                   help="torchvision VGG16 ImageNet file for --arch vgg16 ('hub' = torch hub cache)")
    t.add_argument("--export", default=None, metavar="WEIGHTS",
                   help="at the end also write a weights-only copy (config, weights, metrics; no optimizer)")
    t.add_argument("--resume", default=None, metavar="CKPT", help="continue a run from its checkpoint")
    t.add_argument("--init", default=None, metavar="CKPT", help="start from these weights (fresh optimizer)")
    t.add_argument("--synth-n", type=int, default=2000, help="synthetic training scenes")
    t.add_argument("--synth-val-n", type=int, default=100, help="synthetic validation scenes (disjoint seeds)")
    t.add_argument("--synth-size", default="320x320", help="synthetic scene size HxW")
    t.add_argument("--cache-dir", default=None, help="cache rendered synthetic scenes here (.npz)")
    t.add_argument("--val-fraction", type=float, default=0.1, help="held-out fraction of real datasets")
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
    import os
    from pathlib import Path

    import cv2
    import numpy as np

    from textvision.models.fcn import load_text_fcn
    from textvision.segmentation import segment, text_coverage

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = load_text_fcn(args.weights) if args.weights else None
    for path in args.images:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"image not found: {path}")
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"cannot read image {path!r} (not an image OpenCV decodes)")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        heat = segment(rgb, model, max_side=args.max_side or None, device=args.device)
        stem = Path(path).stem
        h8 = np.clip(heat * 255.0 + 0.5, 0, 255).astype(np.uint8)
        cv2.imwrite(str(out / f"{stem}_heatmap.png"), h8)
        if args.overlay:
            a = heat[:, :, None] * 0.6
            red = np.zeros_like(bgr)
            red[:, :, 2] = 255
            ov = (bgr * (1 - a) + red * a).astype(np.uint8)
            cv2.imwrite(str(out / f"{stem}_overlay.jpg"), ov)
        print(f"{path}: text coverage {text_coverage(heat, args.threshold):.4f} -> {out / (stem + '_heatmap.png')}")
    return 0


def _train(args) -> int:
    from textvision.models.train_fcn import TrainConfig, make_sources, train_fcn

    widths = tuple(int(v) for v in args.widths.split(","))
    if len(widths) != 5:
        raise ValueError(f"--widths needs 5 comma-separated ints, got {args.widths!r}")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    train, val = make_sources(args.data, mask_source=args.masks, synth_n=args.synth_n,
                              synth_val_n=args.synth_val_n, synth_size=_parse_hw(args.synth_size),
                              seed=args.seed, val_fraction=args.val_fraction, cache_dir=args.cache_dir,
                              progress=not args.no_progress)
    cfg = TrainConfig(out=args.out, arch=args.arch, widths=widths, backbone_weights=args.backbone_weights,
                      epochs=args.epochs, batch_size=args.batch_size, crop=args.crop, lr=args.lr,
                      weight_decay=args.weight_decay, warmup_steps=args.warmup_steps, balance=args.balance,
                      dice_weight=args.dice, seed=args.seed, device=args.device, workers=args.workers,
                      threads=args.threads, resume=args.resume, init=args.init, export=args.export,
                      progress=not args.no_progress)
    result = train_fcn(cfg, train, val)
    if result.history and not args.no_progress:
        last = result.history[-1]
        print(f"saved {result.checkpoint} (epoch {int(last['epoch'])}, val F1 {last.get('f1', float('nan')):.3f})")
    return 0
