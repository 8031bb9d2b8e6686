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
from textvision.spotting import commands as spotting_commands
from textvision.style import commands as style_commands
from textvision.text_fcn import commands as text_fcn_commands
from textvision.weights import commands as weights_commands

AREAS = (
    ops_commands,
    data_commands,
    eval_commands,
    text_fcn_commands,
    proposals_commands,
    style_commands,
    augment_commands,
    east_commands,
    spotting_commands,  # after proposals_commands: it adds `bench spotting` to their `bench`
    weights_commands,
)


class _StatesDefaults:
    """Help lines that say which options are required and, unless the text already does, their default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if text == argparse.SUPPRESS or not action.option_strings:
            return text
        if action.required:
            return text if "required" in text.lower() else ("required: " + text if text else "required")
        plain = action.default is None or action.default is False or action.default == [] or action.default == ()
        if plain or action.default == argparse.SUPPRESS or "default" in text.lower() or action.nargs == 0:
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


class _HelpFormatter(_StatesDefaults, argparse.HelpFormatter):
    pass


class _RawDescriptionHelpFormatter(_StatesDefaults, argparse.RawDescriptionHelpFormatter):
    pass


class _Parser(argparse.ArgumentParser):
    """Every subcommand's parser: the help formatter above, whichever of argparse's two a command asks for."""

    def __init__(self, *args, formatter_class=argparse.HelpFormatter, **kwargs):
        if formatter_class is argparse.RawDescriptionHelpFormatter:
            formatter_class = _RawDescriptionHelpFormatter
        elif formatter_class is argparse.HelpFormatter:
            formatter_class = _HelpFormatter
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textvision",
        description="Scene-text vision: segment, propose, stylize, augment, detect, read, evaluate. Exit status: 0 "
                    "when the command did what was asked, 1 for an error (one 'textvision COMMAND: error: ...' "
                    "line), 2 for a malformed command line, 141 when stdout was closed early. See docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"textvision {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for area in AREAS:
        area.register(sub)
    return parser


# Options that name what a command writes: a folder they create and the failed run leaves empty is removed.
_OUTPUT_OPTIONS = ("out", "dst", "json", "viz", "export")

# What the shell reports for a process killed by SIGPIPE (128 + 13), as `seq 1000000 | head -1` does.
EXIT_CLOSED_PIPE = 141


def _missing_folders(args) -> list:
    """The folders an output option would create (the path and its missing parents), deepest first."""
    from pathlib import Path

    missing = set()
    for name in _OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        if not isinstance(value, str) or not value:
            continue
        p = Path(value).absolute()
        while not p.exists() and p != p.parent:
            missing.add(p)
            p = p.parent
    return sorted(missing, key=lambda q: len(q.parts), reverse=True)


def _remove_empty(folders) -> None:
    """Remove the folders this run created that hold no file (empty sub-folders it made inside them too)."""
    import os

    for p in folders:
        if not p.is_dir():
            continue
        for root, _, _ in sorted(os.walk(p), key=lambda t: len(t[0]), reverse=True):
            try:
                os.rmdir(root)  # only ever removes an empty folder
            except OSError:
                pass


def _closed_stdout() -> int:
    """stdout's reader went away (`textvision weights -v | head`): stop quietly, like other command-line tools."""
    import os

    try:
        # Later writes, and the interpreter's last flush, go nowhere instead of raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (captured in a test): nothing is flushed at exit either
    return EXIT_CLOSED_PIPE


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    created = _missing_folders(args)
    rc = 1
    try:
        rc = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at the interpreter's exit
        return rc
    except BrokenPipeError:
        rc = _closed_stdout()
        return rc
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, RuntimeError) as exc:
        # User errors get one clear line, not a traceback; TEXTVISION_DEBUG=1 shows the traceback.
        import os

        if os.environ.get("TEXTVISION_DEBUG"):
            raise
        print(f"textvision {args.command}: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if rc != 0:
            _remove_empty(created)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
