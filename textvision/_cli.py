"""What every ``textvision`` subcommand shares: the output policy, argument types, skipped inputs.

The policy (docs/cli.md states it for users):

- **Output files** (``--out FILE.csv``, ``--json``, ``--viz``, a sheet, a ranker...): an existing file is
  refused unless ``--force``; it is then replaced atomically once the work has succeeded.
- **Output folders** (``detect --out DIR``, ``demo``, ``synth``, ``teacher-label``...): a folder that
  already holds files of the kinds the command writes (its own files, by name) is refused unless
  ``--force``, which removes those files, and only those, before the work starts; so the folder holds
  exactly one run and ``evaluate --det DIR`` can never score two runs at once. Other files are never
  touched. Commands that continue an interrupted run take ``--resume`` instead (trainings, ``augment``,
  ``synth``, ``teacher-label``, ``style-crops``).
- Everything that can be checked is checked before any work, and a failed run leaves no folder it
  created empty (``textvision.cli.main`` removes those).

Argparse only at import time: this module is imported by the commands' ``register`` functions.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Sequence, Tuple

__all__ = ["positive_int", "non_negative_int", "probability", "fraction", "positive_float", "new_file", "OutputFolder",
           "own_files", "output_folder", "distinct_stems", "InputsSkipped", "Skipped"]


# ---------------------------------------------------------------------------------------------- argument types
def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def probability(text: str) -> float:
    """argparse type: a number in [0, 1] (thresholds, probabilities)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text}")
    return v


def fraction(text: str) -> float:
    """argparse type: a number in (0, 1] (a share of something, e.g. of the proposals to read)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0.0 < v <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], got {text}")
    return v


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (learning rates, weights)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < v < float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


# ---------------------------------------------------------------------------------------------- outputs
def clip_quads(quads, shape):
    """Quads float [K, 4, 2] (or a list of [4, 2]) clipped to the pixels of an image of ``shape`` (H, W, ...):
    decoded boxes of words at the border reach past it, and a result file names pixels of the image."""
    import numpy as np

    q = np.asarray(quads, np.float32).reshape(-1, 4, 2)
    h, w = shape[:2]
    return np.stack([np.clip(q[..., 0], 0, w - 1), np.clip(q[..., 1], 0, h - 1)], axis=-1)


def distinct_stems(paths: Sequence[Path], writes: str) -> List[Path]:
    """Inputs of a command that writes one file per input named after its stem (``writes``, e.g.
    ``"res_{stem}.txt"``): the same file given twice is kept once; two different files sharing a stem
    (``a/x.png``, ``b/x.jpg``) would overwrite each other's result, a ``ValueError`` before any work."""
    import os

    by_stem, unique = {}, []
    for path in paths:
        first = by_stem.get(path.stem)
        if first is not None:
            if os.path.realpath(first) == os.path.realpath(path):
                continue
            raise ValueError(f"inputs {first} and {path} would both write {writes.replace('{stem}', path.stem)}; "
                             f"rename one or run them into different --out folders (nothing was written)")
        by_stem[path.stem] = path
        unique.append(path)
    return unique


def new_file(path, force: bool, what: str = "--out file") -> Path:
    """Check before any work that ``path`` may be written: its folder is writable, it is no folder, and it
    does not exist unless ``force``.

    Raises:
        FileExistsError: ``path`` exists and ``force`` is false (nothing is written).
        ValueError: ``path`` is a folder, or its folder cannot be created or written.
    """
    from textvision.io import check_output_file

    p = Path(path)
    if p.exists() and not p.is_dir() and not force:
        raise FileExistsError(f"{what} {p} exists; pass --force to replace it (nothing was written)")
    return check_output_file(p, what=what)


@dataclass
class OutputFolder:
    """An output folder checked by :func:`output_folder`: ``path`` exists and is writable; ``stale`` are
    the earlier run's files that :meth:`clear_stale` removes (``--force``) once every other check passed."""

    path: Path
    stale: List[Path] = field(default_factory=list)

    def clear_stale(self) -> int:
        """Remove the earlier run's files (only those); returns how many were removed."""
        for p in self.stale:
            p.unlink(missing_ok=True)
        n, self.stale = len(self.stale), []
        return n


def own_files(folder, patterns: Sequence[str]) -> List[Path]:
    """Files under ``folder`` matching any of ``patterns`` (globs relative to it, e.g. ``res_*.txt``,
    ``gt/gt_img_*.txt``), sorted; an absent folder has none."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = {p for pat in patterns for p in folder.glob(pat) if p.is_file()}
    return sorted(found)


def output_folder(path, patterns: Sequence[str], force: bool, what: str = "--out folder",
                  kind: str = "result file", hint: str = "pass --force to replace them") -> OutputFolder:
    """Check (and create) the output folder of a run before any work.

    Args:
        path: the folder.
        patterns: globs naming the files this command writes there (its own files).
        force: the earlier run's own files are allowed (``--force``: they become
            :attr:`OutputFolder.stale`, removed by :meth:`OutputFolder.clear_stale`; ``--resume``: the
            caller keeps them).
        what: the option, for messages.
        kind: what the files are, for messages.
        hint: the way out named in the refusal.

    Raises:
        FileExistsError: the folder holds own files of an earlier run and ``force`` is false.
        ValueError: the path is a file, or the folder cannot be created or written.
    """
    from textvision.io import check_output_dir

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{what} {p} exists and is not a folder")
    earlier = own_files(p, patterns)
    if earlier and not force:
        shown = ", ".join(q.relative_to(p).as_posix() for q in earlier[:3]) + (" ..." if len(earlier) > 3 else "")
        raise FileExistsError(f"{what} {p} already holds {len(earlier)} {kind}(s) of an earlier run ({shown}); "
                              f"{hint}, or choose an empty folder (nothing was written)")
    return OutputFolder(check_output_dir(p, what=what), earlier if force else [])


# ---------------------------------------------------------------------------------------------- skipped inputs
class InputsSkipped(RuntimeError):
    """Some inputs could not be used: the run went on without them and ends with exit status 1."""


@dataclass
class Skipped:
    """Inputs a command skipped, reported as it goes and in one error line at the end.

    With one input, nothing is printed on the way: the end's one line is the whole report.
    """

    command: str
    total: int
    failed: List[Tuple[str, str]] = field(default_factory=list)

    def add(self, path, exc: BaseException) -> None:
        self.failed.append((str(path), str(exc)))
        if self.total > 1:
            from tqdm import tqdm

            tqdm.write(f"textvision {self.command}: skipped {path}: {exc}", file=sys.stderr)

    def check(self, what: str = "image") -> None:
        """Raise :class:`InputsSkipped` when anything was skipped (after the outputs of the rest are written)."""
        if not self.failed:
            return
        if self.total == 1:
            raise InputsSkipped(self.failed[0][1])
        names = ", ".join(p for p, _ in self.failed[:5]) + (" ..." if len(self.failed) > 5 else "")
        raise InputsSkipped(f"{len(self.failed)} of {self.total} {what}(s) could not be read: {names}")
