"""CLI: ``textvision propose``, ``textvision bench proposals``, ``textvision train-ranker``, ``textvision demo``."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("propose", help="word proposals (TextProposals, optionally FCN-pruned) for images")
    p.add_argument("images", nargs="+", help="image files")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--heatmap", help="text probability map (grey PNG, 255 = text; same size as the image)")
    src.add_argument("--fcn", nargs="?", const="", default=None, metavar="WEIGHTS",
                     help="compute the heatmap with TextFCN (the shipped default, or these weights)")
    p.add_argument("--top", type=int, default=None, help="keep the K best proposals per image (default: all)")
    p.add_argument("--out", required=True, help="output .csv (image,rank,x1,y1,x2,y2,score) or .json")
    p.add_argument("--viz", help="PNG with the top proposals drawn (one image; several get the image name appended)")
    p.add_argument("--viz-top", type=int, default=20, help="proposals drawn in --viz (default 20)")
    p.add_argument("--prune", choices=("pixels", "bbox", "none"), default="pixels",
                   help="pruning by mean text probability when a heatmap is given (default pixels)")
    p.add_argument("--min-prob", type=float, default=0.10, help="pruning threshold (default 0.10)")
    p.add_argument("--ranker", default=None,
                   help="'default' (shipped stumps), a .json/.xml ranker file; default: NFA meaningfulness")
    p.add_argument("--no-rerank", action="store_true", help="do not re-rank by the heatmap")
    p.add_argument("--threads", type=int, default=1, help="channel images in parallel (default 1)")
    p.set_defaults(func=_propose)

    b = sub.add_parser("bench", help="benchmarks (see `textvision bench proposals --help`)")
    bsub = b.add_subparsers(dest="bench_what", metavar="WHAT")
    bp = bsub.add_parser("proposals", help="baseline vs FCN-pruned TextProposals: detection rate, counts, time per stage")
    bp.add_argument("--data", default="synth", help="'synth' (default) or an ICDAR-style folder with gt_*.txt")
    bp.add_argument("--split", default="test", help="dataset split for a folder (default test)")
    bp.add_argument("-n", "--num-images", type=int, default=10, help="images to use (default 10)")
    bp.add_argument("--size", default="720x1280", help="synthetic scene size HxW (default 720x1280)")
    bp.add_argument("--seed", type=int, default=1000, help="synthetic scene seed (default 1000)")
    bp.add_argument("--heatmap-source", choices=("fcn", "oracle", "none"), default="oracle",
                    help="text map for pruning: TextFCN, ground truth (oracle) or none (default oracle)")
    bp.add_argument("--fcn-weights", default=None, help="TextFCN weights for --heatmap-source fcn")
    bp.add_argument("--json", help="also write the rows as JSON here")
    bp.set_defaults(func=_bench)
    b.set_defaults(func=lambda args: (b.print_help(), 2)[1])

    t = sub.add_parser("train-ranker", help="train the proposal ranker (boosted stumps over 18 group features)")
    t.add_argument("--data", default="synth", help="'synth' (default) or an ICDAR-style folder with gt_*.txt")
    t.add_argument("--split", default="train")
    t.add_argument("-n", "--num-images", type=int, default=30, help="images (default 30)")
    t.add_argument("--size", default="720x1280", help="synthetic scene size HxW (default 720x1280)")
    t.add_argument("--seed", type=int, default=0, help="synthetic scene seed (default 0)")
    t.add_argument("--stumps", type=int, default=100, help="boosting rounds (default 100)")
    t.add_argument("--out", required=True, help="output .json")
    t.set_defaults(func=_train_ranker)

    d = sub.add_parser("demo", help="the main job on a bundled scene: proposals baseline vs FCN-pruned, picture + table")
    d.add_argument("--out", default="textvision_demo", help="output folder (default ./textvision_demo)")
    d.add_argument("--image", help="use this image instead of the bundled one (no detection rate without --gt)")
    d.add_argument("--gt", help="ICDAR 2015 gt file for --image")
    d.add_argument("--heatmap-source", choices=("auto", "fcn", "oracle"), default="auto",
                   help="auto: the shipped TextFCN when its weights exist, else the ground truth (oracle)")
    d.add_argument("--top", type=int, default=15, help="proposals drawn per panel (default 15)")
    d.set_defaults(func=_demo)


def _size(text: str):
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must be HxW like 720x1280, got {text!r}") from None
    return h, w


def _read_rgb(path):
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"cannot read image: {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _read_heatmap(path, shape_hw):
    import cv2
    import numpy as np

    hm = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if hm is None:
        raise FileNotFoundError(f"cannot read heatmap: {path}")
    if hm.ndim == 3:
        hm = hm[:, :, 0]
    scale = 65535.0 if hm.dtype == np.uint16 else 255.0 if hm.dtype == np.uint8 else 1.0
    hm = hm.astype(np.float32) / scale
    if hm.shape != tuple(shape_hw):
        raise ValueError(f"heatmap {path} is {hm.shape[1]}x{hm.shape[0]}, the image is {shape_hw[1]}x{shape_hw[0]}")
    return hm


def draw(image, boxes, heatmap=None, color=(255, 40, 40), thickness=2):
    """RGB picture of ``boxes`` (best drawn last, on top) over ``image``, optionally over the heatmap."""
    import cv2
    import numpy as np

    canvas = image.copy()
    if heatmap is not None:
        # Text probability tints the picture magenta in proportion; zero leaves it untouched.
        a = 0.6 * np.clip(heatmap, 0, 1)[:, :, None]
        canvas = ((1 - a) * canvas + a * np.array([255, 0, 255], np.float32)).astype(np.uint8)
    for i, b in enumerate(boxes[::-1]):
        x1, y1, x2, y2 = (int(round(v)) for v in b)
        shade = tuple(int(c * (0.5 + 0.5 * (i + 1) / len(boxes))) for c in color)
        cv2.rectangle(canvas, (x1, y1), (x2 - 1, y2 - 1), shade, thickness)
    return canvas


def _write_rgb(path, rgb):
    import cv2
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise ValueError(f"cannot write image {path} (unknown extension?)")


def _propose(args) -> int:
    import json
    from pathlib import Path

    from textvision.proposals import TextProposals

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".json"):
        raise ValueError(f"--out must end in .csv or .json, got {out}")
    tp = TextProposals(prune=args.prune, min_prob=args.min_prob, ranker=args.ranker, rerank=not args.no_rerank,
                       num_threads=args.threads)
    fcn = None
    if args.fcn is not None:
        from textvision.proposals.bench import fcn_heatmap_fn

        fcn = fcn_heatmap_fn(args.fcn or None)
    results = []
    for path in args.images:
        image = _read_rgb(path)
        hm = None
        if args.heatmap:
            hm = _read_heatmap(args.heatmap, image.shape[:2])
        elif fcn is not None:
            hm = fcn(image)
        p = tp(image, hm).top(args.top)
        results.append((path, p))
        print(f"{path}: {p.stats['proposals']} proposals ({p.stats['regions_kept']} regions kept, "
              f"{p.stats['wall']:.2f} s){'' if args.top is None else f', wrote top {len(p)}'}")
        if args.viz:
            viz = Path(args.viz)
            if len(args.images) > 1:
                viz = viz.with_name(f"{viz.stem}_{Path(path).stem}{viz.suffix or '.png'}")
            _write_rgb(viz, draw(image, p.boxes[: args.viz_top], hm))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        with open(out, "w") as f:
            f.write("image,rank,x1,y1,x2,y2,score\n")
            for path, p in results:
                for r, (b, s) in enumerate(zip(p.boxes, p.scores)):
                    f.write(f"{path},{r},{b[0]:g},{b[1]:g},{b[2]:g},{b[3]:g},{s:.6g}\n")
    else:
        out.write_text(json.dumps([{"image": str(path), "boxes": p.boxes.tolist(), "scores": p.scores.tolist(),
                                    "stats": p.stats} for path, p in results], indent=1))
    print(f"wrote {out}")
    return 0


def _samples(args):
    from textvision.proposals.train import iter_samples

    return list(iter_samples(args.data, n=args.num_images, size=_size(args.size), seed=args.seed, split=args.split))


def _bench(args) -> int:
    import json

    from textvision.proposals.bench import default_methods, format_table, run_methods
    from textvision.proposals.ranker import default_ranker_path

    samples = _samples(args)
    fcn = None
    if args.heatmap_source == "fcn":
        from textvision.proposals.bench import fcn_heatmap_fn

        fcn = fcn_heatmap_fn(args.fcn_weights)
    rows = run_methods(samples, default_methods(default_ranker_path().is_file()), args.heatmap_source, fcn)
    print(f"{len(samples)} images from {args.data}; detection rate at IoU 0.5; CPU seconds per image (median), "
          "single thread")
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


def _train_ranker(args) -> int:
    from pathlib import Path

    from textvision.proposals.train import train_ranker

    out = Path(args.out)
    if out.suffix.lower() != ".json":
        raise ValueError(f"--out must be a .json file, got {out}")
    from textvision.proposals.train import iter_samples

    samples = iter_samples(args.data, n=args.num_images, size=_size(args.size), seed=args.seed, split=args.split)

    def progress(s, pos, n):
        print(f"  {s.name}: {n} proposals, {pos} match a word")

    r = train_ranker(samples, num_stumps=args.stumps, progress=progress)
    r.meta.update({"data": args.data, "num_images": args.num_images, "size": args.size, "seed": args.seed,
                   "command": "textvision train-ranker " + " ".join(
                       f"--{k.replace('_', '-')} {v}" for k, v in
                       (("data", args.data), ("num_images", args.num_images), ("size", args.size),
                        ("seed", args.seed), ("stumps", args.stumps)))})
    out.parent.mkdir(parents=True, exist_ok=True)
    r.save(out)
    print(f"wrote {out} ({len(r)} stumps, {r.meta['positives']} positives of {r.meta['num_samples']} samples)")
    return 0


def _demo(args) -> int:
    import json
    from pathlib import Path

    import numpy as np

    from textvision.proposals.bench import default_fcn_available, format_table, run_methods
    from textvision.proposals.ranker import default_ranker_path
    from textvision.proposals.train import Sample, word_boxes

    assets = Path(__file__).resolve().parent.parent / "assets"
    if args.image:
        image = _read_rgb(args.image)
        instances = []
        if args.gt:
            from textvision.data import read_icdar2015

            instances = list(read_icdar2015(args.gt))
        name = Path(args.image).name
    else:
        image = _read_rgb(assets / "demo_scene.jpg")
        from textvision.data import read_icdar2015

        instances = list(read_icdar2015(assets / "demo_scene_gt.txt"))
        name = "bundled demo_scene.jpg (textvision synthetic scene)"
    source = args.heatmap_source
    note = ""
    if source == "auto":
        source = "fcn" if default_fcn_available() else "oracle"
        if source == "oracle":
            note = ("note: the default TextFCN weights (textvision/weights/text_fcn_lite.pt) are not installed; "
                    "pruning uses the ground-truth word boxes as a perfect text map (oracle).")
    if source == "oracle" and not instances:
        raise ValueError("an oracle heatmap needs ground truth: pass --gt or --heatmap-source fcn")
    fcn = None
    if source == "fcn":
        from textvision.proposals.bench import fcn_heatmap_fn

        fcn = fcn_heatmap_fn(None)
    print(f"textvision demo: {name}, {image.shape[1]}x{image.shape[0]}, {len(word_boxes(instances))} words")
    if note:
        print(note)
    sample = Sample(image, instances, name)
    ranker = "default" if default_ranker_path().is_file() else None
    methods = {
        "baseline (no map)": {"ranker": ranker},
        "pruned + re-ranked by the map": {"prune": "pixels", "ranker": ranker, "use_heatmap": True},
    }
    kept = {}
    rows = run_methods([sample], methods, source, fcn, keep=kept)
    print(format_table(rows))
    base, pruned = rows
    speed = base["time"]["total"] / max(pruned["time"]["total"], 1e-9)
    print(f"pruning kept {pruned['regions_kept']:.0f} of {base['regions_kept']:.0f} regions and "
          f"{pruned['proposals']:.0f} of {base['proposals']:.0f} proposals: {speed:.1f}x less proposal time")

    hm = kept["heatmaps"][0]
    pb, pp = kept["baseline (no map)"][0], kept["pruned + re-ranked by the map"][0]
    left = draw(image, pb.boxes[: args.top], color=(255, 60, 60))
    right = draw(image, pp.boxes[: args.top], hm, color=(0, 255, 0))
    import cv2

    gap = np.full((image.shape[0], 8, 3), 255, np.uint8)
    panel = np.concatenate([left, gap, right], axis=1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    s = max(0.6, image.shape[1] / 1600)
    cv2.putText(panel, f"baseline: top {args.top} of {len(pb)}", (10, int(30 * s)), font, s, (255, 255, 0), 2)
    cv2.putText(panel, f"{source} map, pruned: top {args.top} of {len(pp)}", (image.shape[1] + 18, int(30 * s)),
                font, s, (255, 255, 0), 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _write_rgb(out / "proposals.png", panel)
    with open(out / "table.json", "w") as f:
        json.dump({"image": name, "heatmap": source, "rows": rows}, f, indent=1)
    print(f"wrote {out / 'proposals.png'} and {out / 'table.json'}")
    return 0

