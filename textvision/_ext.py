"""Loads the compiled core ``textvision._C`` and says clearly what to do when it is missing.

Importing textvision never fails because of the extension: pure-Python parts (data, eval, models)
work without it, and the first call that needs it raises :class:`ExtensionMissingError`.
"""
from __future__ import annotations

_FIX = (
    "the compiled core textvision._C is not built. Install the package with "
    "`pip install -c constraints.txt .` (or `pip install -e .` in a checkout); "
    "a C++17 compiler and pybind11 are needed at build time."
)


class ExtensionMissingError(ImportError):
    """The compiled core is not available (the message names the fix)."""


try:  # pragma: no branch
    from textvision import _C  # type: ignore[attr-defined]

    _IMPORT_ERROR = None
except ImportError as exc:  # a source checkout without a build, or a broken build
    _C = None
    _IMPORT_ERROR = exc


def has_ops() -> bool:
    """True when the compiled core is importable."""
    return _C is not None


def has_cuda() -> bool:
    """True when the core was built with CUDA *and* a CUDA device is usable now."""
    return _C is not None and bool(_C.built_with_cuda) and _C.cuda_device_count() > 0


def built_with_cuda() -> bool:
    """True when the core was compiled with its CUDA sources (a GPU may still be absent)."""
    return _C is not None and bool(_C.built_with_cuda)


def core():
    """Return the ``textvision._C`` module or raise :class:`ExtensionMissingError` naming the fix."""
    if _C is None:
        raise ExtensionMissingError(f"{_FIX} (import error: {_IMPORT_ERROR})")
    return _C
