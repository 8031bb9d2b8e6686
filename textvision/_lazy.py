"""Lazy re-exports for package faces: a package names what it offers, the defining modules load on first use.

Each package ``__init__`` that re-exports names of heavy submodules (torch, OpenCV) ends with::

    __getattr__, __dir__ = lazy_exports(__name__, {"segment": ".inference", "segment_batch": ".inference"})

so ``import textvision`` and the CLI's ``import textvision.<area>.commands`` import no torch, and
``textvision.text_fcn.segment`` is the very function of ``textvision.text_fcn.inference``.
:func:`exports` reads a package's table back (``tests/test_layers.py`` resolves ``from PKG import NAME``
through it to the defining module).
"""
from __future__ import annotations

import importlib
import sys
from types import MappingProxyType
from typing import Callable, Dict, Iterable, List, Mapping, Tuple

__all__ = ["lazy_exports", "exports"]

_TABLES: Dict[str, Mapping[str, str]] = {}


def lazy_exports(package: str, names: Mapping[str, str], submodules: Iterable[str] = (),
                 ) -> Tuple[Callable[[str], object], Callable[[], List[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` (PEP 562) of ``package``, for the names of ``names``.

    Args:
        package: the package's ``__name__``, e.g. ``"textvision.style"``.
        names: exported name -> the module defining it (the attribute of that name), absolute
            (``"textvision.models.text_fcn"``) or relative to ``package`` (``".inference"``).
        submodules: names of submodules exported as modules (``textvision.ops``, ``textvision.data.synth``).
            Kept apart from ``names`` because a builder may share its module's name (``models.east``).

    Returns:
        ``(__getattr__, __dir__)``: ``__getattr__(name)`` imports the defining module and returns its
        attribute ``name`` (or the submodule); an unknown name raises ``AttributeError`` naming the
        package, as a plain module would. ``__dir__()`` lists the package's own globals and the names.
    """
    subs = frozenset(submodules)
    table = MappingProxyType({**{n: package + m if m.startswith(".") else m for n, m in names.items()},
                              **{s: f"{package}.{s}" for s in subs}})
    _TABLES[package] = table

    def __getattr__(name: str):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        mod = importlib.import_module(module)
        return mod if name in subs else getattr(mod, name)

    def __dir__() -> List[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__


def exports(package: str) -> Mapping[str, str]:
    """The names ``package`` gave :func:`lazy_exports` -> their defining module (a submodule: itself); empty
    when it gave none.

    The package must already be imported (its ``__init__`` registers the table)."""
    return _TABLES.get(package, MappingProxyType({}))
