"""The one checkpoint format: ``save_checkpoint`` / ``load_checkpoint``.

A checkpoint is a ``torch.save`` dict of tensors and plain Python values only::

    {"format": "textvision", "version": 1, "kind": "text_fcn" | "east" | "two-stage" | ...,
     "config": {...}, "state_dict": {...}, ...extra (optimizer state, step, metrics, style names)}

It is always read with ``torch.load(..., weights_only=True)``: a file that would need code to unpickle
(a pickled object whose loading could run a command) is refused with a one-line ``ValueError`` and
nothing in it is executed. Writes are atomic (temporary file + rename, see :mod:`textvision.io`).
Files written before the format had ``format``/``version`` fields (the shipped ``text_fcn_lite_synth.pt``)
load as version 0. ``export_weights`` writes a copy without the training state; ``load_once`` shares one
loaded model per file version.
"""
from __future__ import annotations

import functools
import os
import pickle
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, TypeVar, Union

from textvision.io import PathLike, atomic_write

__all__ = ["FORMAT", "VERSION", "save_checkpoint", "load_checkpoint", "load_torch_file", "strip_module_prefix",
           "export_weights", "TRAINING_STATE_KEYS", "load_once"]

#: Checkpoint entries that only a resumed training needs (dropped by :func:`export_weights`).
TRAINING_STATE_KEYS = ("optimizer", "scheduler", "scaler")

FORMAT = "textvision"
VERSION = 1


def strip_module_prefix(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Detached CPU copy of a state dict without DDP's ``module.`` key prefix."""
    out = {}
    for k, v in state_dict.items():
        key = k[len("module."):] if k.startswith("module.") else k
        out[key] = v.detach().cpu() if hasattr(v, "detach") else v
    return out


def save_checkpoint(path: PathLike, *, kind: str, state_dict: Dict[str, Any], config: Optional[Dict] = None,
                    **extra) -> Path:
    """Write a checkpoint atomically.

    Args:
        path: target file (its folder is created).
        kind: what the file holds (``"text_fcn"``, ``"east"``, ``"two-stage"``, ``"distilled"``...).
        state_dict: the model's weights (a DDP ``module.`` prefix is removed; tensors moved to the CPU).
        config: plain-typed constructor arguments that rebuild the model.
        extra: more plain values or tensors (``optimizer`` state, ``step``, ``metrics``...).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    import torch

    ckpt = {"format": FORMAT, "version": VERSION, "kind": str(kind), "config": dict(config or {}),
            "state_dict": strip_module_prefix(state_dict), **extra}
    return atomic_write(path, lambda tmp: torch.save(ckpt, tmp))


def load_torch_file(path: PathLike, what: str = "torch file", *, map_location="cpu") -> Any:
    """The one safe ``torch.load``: ``weights_only=True``, one-line errors naming the file.

    Used for our checkpoints (:func:`load_checkpoint`) and for the bare state dicts of other projects
    (torchvision VGG16 / ResNet files, EasyOCR's CRAFT, EAST backbones).

    Args:
        path: the file.
        what: what the file should be, for the error message (``"not a {what}"``).
        map_location: device for the tensors.

    Returns:
        the object stored in the file, as ``torch.load`` gives it: tensors and plain containers only (in
        practice a checkpoint or state dict; the callers check it is the dict they expect).

    Raises:
        FileNotFoundError: no such file. ValueError: a file that needs code to unpickle (refused, nothing
            in it runs) or no torch file at all.
    """
    import torch

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        # torch warns about files it then refuses (a plain pickle's protocol...): those warnings would print
        # before the one-line error that says the same. They are held back, and repeated when the load works.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            obj = torch.load(path, map_location=map_location, weights_only=True)
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return obj
    except pickle.UnpicklingError as exc:
        # torch words every weights_only failure alike; only a global it refused to import means code.
        if "Unsupported global" in str(exc) or "GLOBAL" in str(exc):
            raise ValueError(f"{path}: refused, the file needs code to unpickle (only tensors and plain "
                             f"values are loaded, weights_only=True)") from None
        raise ValueError(f"{path}: not a {what}") from None
    except Exception as exc:  # zip / format errors from torch.load on files that are no torch file at all
        raise ValueError(f"{path}: not a {what} ({type(exc).__name__})") from None


def load_checkpoint(path: PathLike, kind: Union[str, Sequence[str], None] = None, *,
                    map_location="cpu") -> Dict[str, Any]:
    """Read a checkpoint safely (``weights_only=True``) and check its kind.

    Args:
        path: the file.
        kind: expected kind (or kinds); None accepts any textvision checkpoint.
        map_location: device for the tensors.

    Returns:
        the checkpoint dict (``kind``, ``config``, ``state_dict``, extras).

    Raises:
        FileNotFoundError: no such file. ValueError: not a checkpoint, a file that needs code to unpickle,
            or a checkpoint of another kind; one line naming the file.
    """
    ckpt = load_torch_file(path, "torch checkpoint file", map_location=map_location)
    if not isinstance(ckpt, dict) or "kind" not in ckpt or "state_dict" not in ckpt:
        raise ValueError(f"{path}: not a textvision checkpoint (expected a dict with 'kind' and 'state_dict')")
    if kind is not None:
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        if ckpt["kind"] not in kinds:
            want = kinds[0] if len(kinds) == 1 else " or ".join(kinds)
            raise ValueError(f"{path}: a {ckpt['kind']!r} checkpoint, expected {want!r}")
    ckpt.setdefault("version", 0)
    ckpt.setdefault("config", {})
    return ckpt


def export_weights(src: PathLike, dst: PathLike, *, half: bool = False) -> Path:
    """Write a copy of a checkpoint without its training state, for shipping or sharing.

    The copy keeps the kind, config, weights and plain metadata (epoch, history, training config), and drops
    :data:`TRAINING_STATE_KEYS` (Adam's moments are twice the size of the weights). It loads exactly like
    the original. ``src`` is read safely (``weights_only=True``) and never modified; ``dst`` is written
    atomically and must differ from ``src``.

    Args:
        half: store float32 tensors as float16 (half the file; ``load_state_dict`` casts them back into a
            float32 model, so loading is unchanged). Each value is rounded to float16 (absolute error at most
            6e-8 below its normal range, 0.05% relative above); a tensor with a value beyond float16's range
            stays float32.

    Raises:
        FileNotFoundError / ValueError: as :func:`load_checkpoint`; ``dst`` is ``src``.
    """
    if os.path.exists(dst) and os.path.samefile(src, dst):
        raise ValueError(f"export_weights: the output {dst} is the input checkpoint; choose another file")
    ckpt = load_checkpoint(src)
    kept = {k: v for k, v in ckpt.items() if k not in TRAINING_STATE_KEYS}
    state = kept["state_dict"]
    if half:
        state = {k: _to_half(v) for k, v in state.items()}
    extra = {k: v for k, v in kept.items() if k not in ("format", "version", "kind", "config", "state_dict")}
    return save_checkpoint(dst, kind=kept["kind"], state_dict=state, config=kept["config"], **extra)


def _to_half(t):
    import torch

    if not (isinstance(t, torch.Tensor) and t.dtype == torch.float32):
        return t
    h = t.to(torch.float16)
    if not torch.isfinite(h).all():
        return t
    return h.contiguous()


@functools.lru_cache(maxsize=8)
def _load_once(loader: Callable, path: str, mtime_ns: int):
    return loader(path)


_Loaded = TypeVar("_Loaded")


def load_once(loader: Callable[[str], _Loaded], path: PathLike) -> _Loaded:
    """``loader(path)``, run once per process for each version of the file and then shared (the models that
    ``detect("...")`` / ``stylize(img, "...")`` take by name or path). Keyed by the file's modification time
    too, so a retrained checkpoint at the same path is not served stale. Callers must not train the result."""
    path = os.fspath(path)
    return _load_once(loader, path, os.stat(path).st_mtime_ns)
