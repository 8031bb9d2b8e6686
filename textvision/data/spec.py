"""The ``--data`` spec of the training commands (``train-text-fcn``, ``train-ranker``), parsed in one place,
and :class:`Split`, the training / validation halves every trainer divides its data into.

A spec is one or more parts joined by ``+`` (mixed), each ``KIND:ARG`` (``photos:DIR[;DIR...]``,
``teacher:LABEL_DIR``, ``icdar2015:DIR`` ...) or a bare ``KIND`` (``synth``), optionally followed by
``*K`` to repeat that part K times. What each kind reads is up to the command; this module only splits
the text and checks it against the kinds the command accepts.
"""
from __future__ import annotations

import os
import re
from typing import Any, List, NamedTuple, Sequence

__all__ = ["DataPart", "parse_data_spec", "Split"]

_REPEAT = re.compile(r"(.+)\*(\d+)")


class Split(NamedTuple):
    """Data divided into a training and a validation (held-out) side that share no item.

    What each side is depends on the function that splits: index lists
    (:func:`textvision.data.teacher.teacher_split`), ``torch.utils.data.Subset`` s of one dataset
    (:func:`textvision.data.datasets.holdout_split`) or whole datasets
    (:func:`textvision.text_fcn.train.make_sources`). Unpacks as ``train, val = ...``.

    Attributes:
        train: the training side.
        val: the validation side.
    """

    train: Any
    val: Any


class DataPart(NamedTuple):
    """One part of a ``--data`` spec.

    Attributes:
        kind: the part's kind (``"synth"``, ``"photos"``, ``"teacher"`` ...), or ``"folder"`` for a bare
            dataset folder where the command accepts one.
        arg: the text after ``KIND:`` (the folder itself for ``"folder"``; ``""`` for a bare kind).
        repeat: K of ``SPEC*K`` (1 without it), >= 1.
        text: the part as written, repeat included (for messages).
    """

    kind: str
    arg: str
    repeat: int
    text: str


def parse_data_spec(spec: str, kinds: Sequence[str], *, folders: bool = False) -> List[DataPart]:
    """Split a ``--data`` spec into its parts.

    Args:
        spec: e.g. ``"synth"``, ``"photos:/a;/b+teacher:labels*3"``.
        kinds: the kinds the caller reads (``KIND`` or ``KIND:ARG`` prefixes).
        folders: also accept a part that is not ``KIND[:ARG]`` as a dataset folder (kind ``"folder"``).
            A whole spec naming an existing directory is then one folder part, even with ``+`` or ``*``
            in its name.

    Returns:
        the parts, in order (one for a spec without ``+``).

    Raises:
        ValueError: an empty spec or part, a repeat count < 1, or an unknown kind (the message lists
            the accepted ones).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"--data must be a non-empty spec, got {spec!r}")
    if folders and os.path.isdir(spec):
        return [DataPart("folder", spec, 1, spec)]
    parts = []
    for text in spec.split("+"):
        m = _REPEAT.fullmatch(text)
        body, repeat = (m.group(1), int(m.group(2))) if m else (text, 1)
        if not body:
            raise ValueError(f"--data {spec!r}: empty part {text!r} (parts are joined by a single +)")
        if repeat < 1:
            raise ValueError(f"--data {spec!r}: the repeat count after * must be >= 1, got {text!r}")
        kind, colon, arg = body.partition(":")
        if kind in kinds:
            parts.append(DataPart(kind, arg, repeat, text))
        elif folders and not (colon and re.fullmatch(r"[a-z][a-z0-9_]*", kind) and not os.path.isdir(body)):
            # A path (possibly with a drive letter or a ':' in a folder name): the command checks it exists.
            parts.append(DataPart("folder", body, repeat, text))
        else:
            expected = ", ".join(f"{k}:..." if k != "synth" else k for k in kinds)
            raise ValueError(f"unknown --data {text!r}; expected {expected}{' or a dataset folder' if folders else ''}"
                             f" (several joined by +, SPEC*K repeats a part)")
    return parts
