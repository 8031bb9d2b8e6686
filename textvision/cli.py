"""The ``textvision`` command.

Each area registers its subcommands from a light ``commands`` module (argparse only; heavy imports
happen inside the handlers), so ``textvision --help`` is instant.
"""
from __future__ import annotations

import argparse
import sys

from textvision import __version__
from textvision.augment import commands as augment_commands
from textvision.data import commands as data_commands
from textvision.east import commands as east_commands
from textvision.eval import commands as eval_commands

# One line per area, in the order of the help text (the pipeline's order).
from textvision.ops import commands as ops_commands
from textvision.proposals import commands as proposals_commands
from textvision.segmentation import commands as fcn_commands
from textvision.style import commands as style_commands
from textvision.weights import commands as weights_commands

AREAS = (
    ops_commands,
    data_commands,
    eval_commands,
    fcn_commands,
    proposals_commands,
    style_commands,
    augment_commands,
    east_commands,
    weights_commands,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textvision",
        description="Scene-text vision: segment, propose, stylize, augment, detect, evaluate.",
    )
    parser.add_argument("--version", action="version", version=f"textvision {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for area in AREAS:
        area.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, RuntimeError) as exc:
        # User errors get one clear line, not a traceback; TEXTVISION_DEBUG=1 shows the traceback.
        import os

        if os.environ.get("TEXTVISION_DEBUG"):
            raise
        print(f"textvision {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
