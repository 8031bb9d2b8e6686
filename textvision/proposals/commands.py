"""CLI: ``textvision propose``, ``textvision bench proposals``, ``textvision train-ranker``, ``textvision demo``."""
from __future__ import annotations

from textvision import io
from textvision._cli import Skipped, new_file, output_folder, positive_int, probability
from textvision._threads import torch_threads


def register(sub) -> None:
    from textvision.proposals.pipeline import DEFAULT_MIN_PROB, PROPOSALS_FCN_MAX_SIDE

    p = sub.add_parser("propose", help="ranked word proposals for images (textvision.propose: TextFCN-guided)",
                       description="Ranked word proposals for images and/or folders of images, written to one "
                                   "CSV or JSON file. This is textvision.propose with its defaults: TextFCN's text "
                                   "map (the shipped one, or --fcn W; --heatmap gives the map of one image "
                                   "instead), pruning by the map, the learned ranker, re-ranking by the map. "
                                   "--no-map runs the plain TextProposals() (no text map, NFA ranking), the "
                                   "control. An existing --out (or --viz) file is refused unless --force. An "
                                   "image that cannot be read is reported and skipped; the exit status is then 1.")
    p.add_argument("images", nargs="+", metavar="IMAGE|DIR", help="image files and/or folders of images")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--heatmap", help="text probability map of the one IMAGE (grey PNG, 255 = text; same size) "
                                       "instead of TextFCN's")
    src.add_argument("--no-map", action="store_true",
                     help="no text map: the plain TextProposals() pipeline (no pruning, no re-ranking; ranker "
                          "'nfa' unless --ranker), the control textvision.propose is compared with")
    src.add_argument("--fcn", default="default", metavar="W",
                     help="TextFCN weights of the map: a registry name or a checkpoint file (default: 'default', "
                          "the shipped one)")
    p.add_argument("--max-side", type=int, default=PROPOSALS_FCN_MAX_SIDE,
                   help=f"longer side TextFCN sees (0 = native size; default {PROPOSALS_FCN_MAX_SIDE}, "
                        f"textvision.propose's)")
    p.add_argument("--device", default=None,
                   help="TextFCN's device: cpu, cuda ... (default: textvision.propose's, cuda when available for "
                        "the shipped weights)")
    p.add_argument("--top", type=positive_int, default=None,
                   help="keep the K best proposals per image (default: all)")
    p.add_argument("--out", required=True, help="required: output .csv (image,rank,x1,y1,x2,y2,score) or .json")
    p.add_argument("--force", action="store_true", help="replace --out (and --viz) files that exist")
    p.add_argument("--viz", help="PNG with the top proposals drawn (one image; several get the image name appended)")
    p.add_argument("--viz-top", type=positive_int, default=20, help="proposals drawn in --viz (default 20)")
    p.add_argument("--prune", choices=("pixels", "bbox", "none"), default="pixels",
                   help="pruning by mean text probability over a region's pixels or its box, or none (default "
                        "pixels)")
    p.add_argument("--min-prob", type=probability, default=DEFAULT_MIN_PROB,
                   help=f"pruning threshold (default {DEFAULT_MIN_PROB})")
    p.add_argument("--ranker", default=None,
                   help="'nfa' (NFA meaningfulness), 'default' or another registry name, or a .json/.xml ranker "
                        "file; default: 'default' (textvision.propose's), 'nfa' with --no-map (TextProposals()'s)")
    p.add_argument("--preset", choices=("original", "textvision"), default="original",
                   help="TextProposals conventions (default original, see docs/proposals.md)")
    p.add_argument("--no-rerank", action="store_true", help="do not re-rank by the text map")
    p.add_argument("--threads", type=positive_int, default=1,
                   help="CPU cores to use, TextFCN and the compiled core alike (default 1)")
    p.set_defaults(func=_propose)

    b = sub.add_parser("bench", help="benchmarks (see `textvision bench proposals --help`)")
    bsub = b.add_subparsers(dest="bench_what", metavar="WHAT")
    bp = bsub.add_parser("proposals", help="baseline vs FCN-pruned TextProposals: detection rate, counts, time per stage")
    bp.add_argument("--data", default="synth",
                    help="'synth' (default), an ICDAR-style folder with gt_*.txt, or a train-ranker spec "
                         "(photos:DIR[;DIR], teacher:LABEL_DIR, icdar2015:DIR ..., joined by +)")
    bp.add_argument("--split", default="test",
                    help="dataset split for a folder (default test; for teacher: the held-out labels unless 'train'; "
                         "for icdar2015:DIR 'val' is the held-out images of a training folder, see --holdout)")
    bp.add_argument("--holdout", default=None, metavar="NAMES",
                    help="images an icdar2015: part holds out (its 'val' split; default img_901-img_1000)")
    bp.add_argument("-n", "--num-images", type=positive_int, default=10, help="images to use (default 10)")
    bp.add_argument("--size", default="720x1280", help="synthetic scene size HxW (default 720x1280)")
    bp.add_argument("--seed", type=int, default=1000, help="synthetic scene seed (default 1000)")
    bp.add_argument("--gt", help="folder of the gt_<image stem>.txt files when they are not beside the images "
                                 "(default: an ICDAR layout, or a gt/ subfolder of --data)")
    bp.add_argument("--ranker-xml", help="the original's trained_boost_groups.xml (or any ranker file): adds "
                                         "TextProposals(ranker=PATH) to the headline table")
    bp.add_argument("--rankers", metavar="R1,R2,...",
                    help="also rank the same proposals with each of these rankers ('nfa', a registry name such as "
                         "ranker_synth, or a .json/.xml file), with no map and with propose's TextFCN map: a second "
                         "table (and --json becomes {\"headline\": rows, \"rankers\": rows})")
    bp.add_argument("--heatmap-source", choices=("fcn", "oracle", "none"), default=None,
                    help="instead of the headline table (baseline vs textvision.propose), the per-stage table of "
                         "pruning configurations with this text map: TextFCN, ground truth (oracle) or none")
    bp.add_argument("--fcn", default=None, metavar="W",
                    help="TextFCN weights (registry name or checkpoint) for textvision.propose and --heatmap-source "
                         "fcn (default: 'default', the shipped one)")
    bp.add_argument("--threads", type=positive_int, default=1,
                    help="with N > 1, a scaling row: textvision.propose with num_threads=N, its wall time against "
                         "the one-thread row's, and whether its proposals are the same (headline table only)")
    bp.add_argument("--json", help="also write the rows as JSON here")
    bp.add_argument("--force", action="store_true", help="replace the --json file when it exists")
    bp.set_defaults(func=_bench)
    b.set_defaults(func=lambda args: (b.print_help(), 2)[1])

    t = sub.add_parser("train-ranker", help="train the proposal ranker (boosted stumps over 18 group features)")
    t.add_argument("--data", default="synth",
                   help="synth (default) | photos:DIR[;DIR] (synthetic words on crops of real photographs) | "
                        "teacher:LABEL_DIR (photos labelled by `textvision teacher-label`; their training part) | "
                        "icdar2015:DIR | icdar2013:DIR | cocotext:JSON,IMAGES_DIR | an ICDAR-style folder; join "
                        "several with + to mix them, SPEC*K counts a part K times")
    t.add_argument("--split", default="train", help="dataset split for folders (default train)")
    t.add_argument("-n", "--num-images", type=positive_int, default=None,
                   help="the first N images of each dataset part (default all); also the scene count of synth/photos "
                        "parts when --synth-n is not given (default 30)")
    t.add_argument("--synth-n", type=positive_int, default=None, help="scenes per synth/photos part (default -n, else 30)")
    t.add_argument("--size", default="720x1280", help="synthetic scene size HxW (default 720x1280)")
    t.add_argument("--seed", type=int, default=0, help="synthetic scene seed (default 0; part k of a mix: seed + k)")
    t.add_argument("--fonts", action="append", default=[], metavar="DIR",
                   help="also draw synthetic text in the TrueType/OpenType faces under DIR that have Latin "
                        "glyphs (repeatable; e.g. /usr/share/fonts)")
    t.add_argument("--stumps", type=positive_int, default=100, help="boosting rounds (default 100)")
    t.add_argument("--balance", choices=("proposal", "image"), default="proposal",
                   help="how an image's positives count: each matching proposal one sample (default), or each "
                        "image's together one image (a page of text then does not outweigh a photo)")
    t.add_argument("--val-fraction", type=probability, default=0.1,
                   help="teacher labels held out from training, chosen by name hash as train-text-fcn does (default 0.1)")
    t.add_argument("--holdout", default=None, metavar="NAMES",
                   help="images an icdar2015: part holds out (never trained on; default img_901-img_1000)")
    t.add_argument("--out", required=True, help="required: output .json")
    t.add_argument("--force", action="store_true", help="replace --out when it exists")
    t.set_defaults(func=_train_ranker)

    d = sub.add_parser("demo", help="the headline on a bundled real photograph and a synthetic scene: baseline "
                                    "TextProposals() vs textvision.propose, text map, picture + table")
    d.add_argument("--out", default="textvision_demo",
                   help="output folder (default ./textvision_demo); refused when it holds an earlier demo's "
                        "proposals.png / table.json, unless --force")
    d.add_argument("--force", action="store_true", help="replace an earlier demo's files in --out")
    d.add_argument("--image", help="use this image instead of the bundled one (no detection rate without --gt)")
    d.add_argument("--gt", help="ICDAR 2015 gt file for --image")
    d.add_argument("--heatmap-source", choices=("auto", "fcn", "oracle"), default="auto",
                   help="auto: the shipped TextFCN when its weights exist, else the ground truth (oracle)")
    d.add_argument("--top", type=positive_int, default=10, help="proposals drawn per panel (default 10)")
    d.set_defaults(func=_demo)


def _size(text: str):
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must be HxW like 720x1280, got {text!r}") from None
    return h, w


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


def _viz_paths(viz, images):
    """``--viz`` file per image: ``viz`` itself for one image, ``<stem>_<image stem><suffix>`` for several.

    Two images with the same stem (``a/x.png``, ``b/x.jpg``) would write the same picture file, the
    second silently replacing the first: such names get the image's position appended (``v_x_2.png``).
    """
    from collections import Counter
    from pathlib import Path

    viz = Path(viz)
    if len(images) == 1:
        return [viz]
    stems = [Path(p).stem for p in images]
    repeated = {s for s, n in Counter(stems).items() if n > 1}
    return [viz.with_name(f"{viz.stem}_{s}{f'_{i + 1}' if s in repeated else ''}{viz.suffix}")
            for i, s in enumerate(stems)]


def _check_inputs(paths, what="image"):
    """Fail before any work when an input file is missing (not after processing the ones before it)."""
    from pathlib import Path

    for p in paths:
        if not Path(p).is_file():
            raise FileNotFoundError(f"{what} not found: {p}" if not Path(p).exists() else f"{what} is not a file: {p}")


def _load_fcn(weights):
    """The TextFCN named by ``--fcn`` (a registry name or a checkpoint path, read safely); empty = the
    shipped default, loaded once per process by ``textvision.segment``."""
    if not weights:
        return "default"
    from textvision.models.text_fcn import text_fcn

    return text_fcn(weights=weights)


def _propose(args) -> int:
    import json
    import sys
    from pathlib import Path

    from tqdm.auto import tqdm

    import textvision
    from textvision.proposals import TextProposals, propose

    # Everything a user can get wrong is checked before the first image is processed.
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".json"):
        raise ValueError(f"--out must end in .csv or .json, got {out}")
    if args.max_side < 0:
        raise ValueError(f"--max-side must be >= 0 (0 = native size), got {args.max_side}")
    new_file(out, args.force, "--out file")
    images = io.list_images(args.images)
    if args.heatmap:
        if len(images) > 1:
            raise ValueError(f"--heatmap is the map of one image, got {len(images)} images; leave it out to have "
                             f"TextFCN compute each image's map")
        _check_inputs([args.heatmap], "heatmap")
    viz_paths = []
    if args.viz:
        io.check_image_suffix(args.viz)
        viz_paths = _viz_paths(args.viz, images)
        for v in viz_paths:
            new_file(v, args.force, "--viz file")
    use_fcn = not (args.no_map or args.heatmap)
    ranker = args.ranker if args.ranker is not None else ("nfa" if args.no_map else "default")
    ranker = None if ranker == "nfa" else ranker
    max_side = args.max_side or None
    # textvision.propose's settings: the command is that call. Other settings (and --no-map, the control)
    # run TextProposals itself on the same map.
    headline = not args.no_map and args.prune == "pixels" and not args.no_rerank
    tp = TextProposals(preset=args.preset, prune=args.prune, min_prob=args.min_prob, ranker=ranker,
                       rerank=not args.no_rerank, num_threads=args.threads)
    if use_fcn and args.fcn != "default":
        # Read now (safely) so that a wrong name or file fails before any image; the calls below take the name,
        # as textvision.propose does, and load it once (on the device textvision.propose would pick).
        _load_fcn(args.fcn)
    results = []
    skipped = Skipped("propose", len(images))
    bar = tqdm(images, unit="img", desc="propose", disable=len(images) < 2, file=sys.stderr)
    for i, path in enumerate(bar):
        try:
            image = io.read_rgb(path)
        except (ValueError, FileNotFoundError) as exc:
            skipped.add(path, exc)
            continue
        hm = io.read_heatmap(args.heatmap, image.shape[:2]) if args.heatmap else None
        if headline:
            p = propose(image, hm, model=args.fcn, ranker=ranker, preset=args.preset, min_prob=args.min_prob,
                        max_side=max_side, top=args.top, device=args.device, num_threads=args.threads)
            hm = p.stats.pop("heatmap")  # a picture's worth of floats: not for the JSON stats
        else:
            if use_fcn:
                hm = textvision.segment(image, args.fcn, max_side=max_side, device=args.device,
                                        num_threads=args.threads)
            p = tp(image, hm).top(args.top)
        results.append((path, p))
        bar.write(f"{path}: {p.stats['proposals']} proposals ({p.stats['regions_kept']} regions kept, "
                  f"{p.stats['wall']:.2f} s){'' if args.top is None else f', wrote top {len(p)}'}", file=sys.stdout)
        if args.viz:
            io.write_image(viz_paths[i], draw(image, p.boxes[: args.viz_top], hm))
    if results:
        if out.suffix.lower() == ".csv":
            lines = ["image,rank,x1,y1,x2,y2,score\n"]
            for path, p in results:
                for r, (b, s) in enumerate(zip(p.boxes, p.scores)):
                    lines.append(f"{path},{r},{b[0]:g},{b[1]:g},{b[2]:g},{b[3]:g},{s:.6g}\n")
            io.atomic_write_text(out, "".join(lines))
        else:
            io.atomic_write_text(out, json.dumps([{"image": str(path), "boxes": p.boxes.tolist(),
                                                   "scores": p.scores.tolist(), "stats": p.stats}
                                                  for path, p in results], indent=1))
        print(f"wrote {out}")
    skipped.check()
    return 0


def _samples(args):
    from textvision.proposals.train import iter_samples

    return list(iter_samples(args.data, n=args.num_images, size=_size(args.size), seed=args.seed, split=args.split,
                             gt=getattr(args, "gt", None), holdout=getattr(args, "holdout", None)))


def _bench(args) -> int:
    import json
    import sys
    from contextlib import nullcontext

    from tqdm.auto import tqdm

    from textvision.proposals import fcn_heatmap
    from textvision.proposals.compare import default_methods, format_table, run_methods

    if args.json:
        new_file(args.json, args.force, "--json file")
    if args.heatmap_source is None:
        return _bench_headline(args)
    if args.threads != 1:
        raise ValueError("--threads adds a row to the headline comparison; leave out --heatmap-source")
    if args.rankers:
        raise ValueError("--rankers adds a table to the headline comparison; leave out --heatmap-source")
    model = _load_fcn(args.fcn) if args.heatmap_source == "fcn" else None
    samples = _samples(args)
    methods = default_methods()
    runs = sum(1 for m in methods.values() if not (m.get("use_heatmap") and args.heatmap_source == "none"))
    fcn = None
    bar = tqdm(total=len(samples) * (runs + (args.heatmap_source == "fcn")), unit="run", desc="bench proposals",
               file=sys.stderr)
    if args.heatmap_source == "fcn":
        def fcn(image):
            # On the CPU: the heatmap seconds in the rows are CPU seconds of this thread.
            hm = fcn_heatmap(image, model, device="cpu")
            bar.update(1)
            return hm

    # The table reports single-thread CPU seconds, so TextFCN runs on one thread too while it is timed;
    # the thread count is restored afterwards.
    with bar, (torch_threads(1, "bench proposals") if fcn is not None else nullcontext()):
        rows = run_methods(samples, methods, args.heatmap_source, fcn, progress=lambda *_: bar.update(1))
    print(f"{len(samples)} images from {args.data}; detection rate at IoU 0.5; CPU seconds per image (median), "
          "single thread")
    print(format_table(rows))
    if args.json:
        io.atomic_write_text(args.json, json.dumps(rows, indent=1))
    return 0


def _rankers(text):
    """``--rankers`` as row label -> ranker, every one loaded now (a bad name fails before any work)."""
    from pathlib import Path

    from textvision.proposals.ranker import Ranker

    out = {}
    for name in (v.strip() for v in text.split(",")):
        if not name:
            raise ValueError(f"--rankers: empty name in {text!r}")
        label = Path(name).name if ("/" in name or Path(name).suffix) else name
        if label in out:
            raise ValueError(f"--rankers: {label!r} given twice")
        out[label] = None if name == "nfa" else Ranker.load(name)
    return out


def _bench_headline(args) -> int:
    import json
    import sys

    from tqdm.auto import tqdm

    from textvision.proposals.compare import format_headline, format_rankers, run_headline, run_rankers

    if args.ranker_xml:
        _check_inputs([args.ranker_xml], "--ranker-xml file")
    rankers = _rankers(args.rankers) if args.rankers else None
    model = _load_fcn(args.fcn)
    samples = _samples(args)
    runs = len(samples) * ((3 if args.ranker_xml else 2) + (2 if rankers else 0) + (1 if args.threads > 1 else 0))
    keep = {}
    # Single-thread CPU seconds: TextFCN on one torch thread too (restored afterwards).
    with tqdm(total=runs, unit="run", desc="bench proposals", file=sys.stderr) as bar, \
            torch_threads(1, "bench proposals"):
        rows = run_headline(samples, args.ranker_xml, model, progress=lambda *_: bar.update(1), keep=keep,
                            threads=args.threads)
        if rankers:
            ranked = run_rankers(samples, rankers, keep["heatmaps"], progress=lambda *_: bar.update(1))
    print(f"{len(samples)} images from {args.data}; detection rate at IoU 0.5 (top 10/100/1000/all); median CPU "
          "seconds per image, one thread, TextFCN map (on the CPU) included for textvision.propose; median wall "
          "seconds per image")
    print(format_headline(rows))
    if rankers:
        print("\nRankers on the same proposals: TextProposals() (map none) and textvision.propose's pipeline "
              "(TextFCN map: pruning at 0.10, re-ranking by the map)")
        print(format_rankers(ranked))
    if args.json:
        io.atomic_write_text(args.json, json.dumps({"headline": rows, "rankers": ranked} if rankers else rows,
                                                   indent=1))
    return 0


def _train_ranker(args) -> int:
    import shlex
    import sys
    import time
    from pathlib import Path

    from tqdm.auto import tqdm

    from textvision.proposals.train import iter_samples, train_ranker

    out = Path(args.out)
    if out.suffix.lower() != ".json":
        raise ValueError(f"--out must be a .json file, got {out}")
    new_file(out, args.force, "--out file")
    fonts = ()
    if args.fonts:
        from textvision.data.synth import find_fonts

        fonts = tuple(find_fonts(args.fonts, required=True))
    synth_n = args.synth_n if args.synth_n is not None else (args.num_images if args.num_images is not None else 30)
    # Every part is checked here, before the first image is processed.
    samples = iter_samples(args.data, n=args.num_images, synth_n=synth_n, size=_size(args.size), seed=args.seed,
                           split=args.split, fonts=fonts, val_fraction=args.val_fraction, holdout=args.holdout)
    bar = tqdm(unit="img", desc="train-ranker: proposals", file=sys.stderr)

    def progress(s, pos, n):
        bar.update(1)
        bar.set_postfix_str(f"{s.name}: {n} proposals, {pos} match a word")

    t0 = time.perf_counter()
    with bar:
        r = train_ranker(samples, num_stumps=args.stumps, balance=args.balance, progress=progress).model
    seconds = time.perf_counter() - t0
    argv = [("--data", args.data)]
    if args.split != "train":
        argv.append(("--split", args.split))
    if args.num_images is not None:
        argv.append(("--num-images", args.num_images))
    argv += [("--synth-n", synth_n), ("--size", args.size), ("--seed", args.seed)]
    argv += [("--fonts", d) for d in args.fonts]
    if args.val_fraction != 0.1:
        argv.append(("--val-fraction", args.val_fraction))
    if args.holdout is not None:
        argv.append(("--holdout", args.holdout))
    argv.append(("--stumps", args.stumps))
    if args.balance != "proposal":
        argv.append(("--balance", args.balance))
    r.meta.update({"data": args.data, "num_images": args.num_images, "synth_n": synth_n, "size": args.size,
                   "seed": args.seed, "fonts": list(args.fonts), "images": bar.n, "seconds": round(seconds, 1),
                   "command": "textvision train-ranker " + " ".join(f"{k} {shlex.quote(str(v))}" for k, v in argv)})
    io.atomic_write(out, r.save)
    print(f"wrote {out} ({len(r)} stumps, {r.meta['positives']} positives of {r.meta['num_samples']} samples from "
          f"{bar.n} images, {seconds:.0f} s)")
    return 0


def _demo_one(image, instances, source, top):
    """Baseline ``TextProposals()`` vs ``textvision.propose`` on one image: (rows, picture, map)."""
    import numpy as np

    from textvision.eval.proposals import detection_rate
    from textvision.proposals import TextProposals, propose
    from textvision.proposals.compare import KS
    from textvision.proposals.train import oracle_heatmap, word_boxes

    gt = word_boxes(instances)
    hm = oracle_heatmap(instances, image.shape[:2]) if source == "oracle" else None
    base = TextProposals()(image)
    head = propose(image, hm, device="cpu")
    rows = []
    for name, p in (("baseline TextProposals()", base), (f"textvision.propose ({source} map)", head)):
        dr = detection_rate([p.boxes], [gt], ks=KS)
        t = p.stats["time"]
        rows.append({"method": name, "dr": {("all" if k is None else str(k)): dr.at(k) for k in KS},
                     "words": len(gt), "proposals": len(p), "cpu": t.get("all", t["total"]),
                     "cpu_map": t.get("heatmap", 0.0)})
    left = draw(image, base.boxes[:top], color=(255, 60, 60))
    right = draw(image, head.boxes[:top], head.stats["heatmap"], color=(0, 255, 0))
    import cv2

    gap = np.full((image.shape[0], 8, 3), 255, np.uint8)
    panel = np.concatenate([left, gap, right], axis=1)
    font, s = cv2.FONT_HERSHEY_SIMPLEX, max(0.6, image.shape[1] / 1600)
    cv2.putText(panel, f"baseline: top {top} of {len(base)}", (10, int(30 * s)), font, s, (255, 255, 0), 2)
    cv2.putText(panel, f"propose ({source} map): top {top} of {len(head)}", (image.shape[1] + 18, int(30 * s)),
                font, s, (255, 255, 0), 2)
    return rows, panel


def _demo(args) -> int:
    import json
    import time
    from pathlib import Path

    import numpy as np

    from textvision.data import read_icdar2015
    from textvision.proposals.compare import default_fcn_available

    if args.gt and not args.image:
        raise ValueError("--gt is the ground truth of --image; give --image too")
    # Before any work; an earlier demo's picture and table are refused (or, with --force, replaced).
    out = output_folder(args.out, ("proposals.png", "table.json"), args.force, kind="demo file")
    assets = Path(__file__).resolve().parent.parent / "assets"
    if args.image:
        image = io.read_rgb(args.image)
        inputs = [(Path(args.image).name, image, list(read_icdar2015(args.gt)) if args.gt else [])]
    else:
        inputs = [("bundled scenetext01.jpg (real photograph, OpenCV samples, Apache-2.0)",
                   io.read_rgb(assets / "scenetext01.jpg"), list(read_icdar2015(assets / "scenetext01_gt.txt"))),
                  ("bundled demo_scene.jpg (textvision synthetic scene)",
                   io.read_rgb(assets / "demo_scene.jpg"), list(read_icdar2015(assets / "demo_scene_gt.txt")))]
    source = args.heatmap_source
    if source == "auto":
        source = "fcn" if default_fcn_available() else "oracle"
        if source == "oracle":
            print("note: the default TextFCN weights are not installed; textvision.propose gets the ground-truth "
                  "word boxes as a perfect text map (oracle).")
    if source == "oracle" and not any(inst for _, _, inst in inputs):
        raise ValueError("an oracle heatmap needs ground truth: pass --gt or --heatmap-source fcn")

    out.clear_stale()
    out = out.path
    tables, panels = [], []
    t0 = time.perf_counter()
    with torch_threads(1, "demo"):  # one core: the CPU seconds below are the whole work
        for name, image, instances in inputs:
            care = sum(1 for t in instances if not t.ignore)
            print(f"\n{name}, {image.shape[1]}x{image.shape[0]}, {care} words")
            rows, panel = _demo_one(image, instances, source, args.top)
            print("| method | DR@10 | DR@100 | DR@1000 | DR@all | proposals | CPU s (map) |")
            print("|---|---|---|---|---|---|---|")
            f = lambda v: "n/a" if v != v else f"{v:.2f}"  # noqa: E731
            for r in rows:
                d = r["dr"]
                print(f"| {r['method']} | {f(d['10'])} | {f(d['100'])} | {f(d['1000'])} | {f(d['all'])} | "
                      f"{r['proposals']} | {r['cpu']:.3f} ({r['cpu_map']:.3f}) |")
            tables.append({"image": name, "heatmap": source, "rows": rows})
            panels.append(panel)
    width = max(p.shape[1] for p in panels)
    sep = np.full((8, width, 3), 255, np.uint8)
    stacked = []
    for p in panels:
        pad = np.full((p.shape[0], width - p.shape[1], 3), 255, np.uint8)
        stacked += [np.concatenate([p, pad], axis=1), sep]
    io.write_image(out / "proposals.png", np.concatenate(stacked[:-1], axis=0))
    io.atomic_write_text(out / "table.json", json.dumps(tables if len(tables) > 1 else tables[0], indent=1))
    print(f"\nwrote {out / 'proposals.png'} (baseline left, textvision.propose over its text map right) and "
          f"{out / 'table.json'} in {time.perf_counter() - t0:.1f} s")
    return 0
