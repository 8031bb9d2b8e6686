"""Imports point down the layers of CONTRIBUTING.md ("Layers"): ops -> models -> data -> pipelines -> training -> cli.

Every module of ``textvision/`` is parsed with ``ast``; every import counts, those inside functions
included (a deferred import is still a dependency). Each module's layer follows from its path by the rule
of CONTRIBUTING.md (:func:`layer_of`, no list of modules), and a module the rule does not place fails the
test, so the rule stays total as modules are added.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional

import pytest

import textvision
from textvision._lazy import exports

LAYERS = ("ops", "models", "data", "pipelines", "training", "cli")
_RANK = {name: i for i, name in enumerate(LAYERS)}

# The rule, in the order CONTRIBUTING.md states it.
#: Any module with one of these names is a command-line module.
_CLI_NAMES = {"commands", "cli", "_cli", "__main__"}
#: Any module with one of these names trains a model or runs one over a whole dataset to measure it.
_TRAINING_NAMES = {"train", "distillation", "compare", "bench"}
#: Top-level modules and packages of textvision -> their layer (a package's modules and face share it).
_TOP = {
    "_C": "ops", "_ext": "ops", "_validate": "ops", "_threads": "ops", "_distributed": "ops", "_lazy": "ops",
    "io": "ops", "checkpoint": "ops", "weights": "ops", "ops": "ops",
    "models": "models",
    "data": "data", "eval": "data",
    "text_fcn": "pipelines", "proposals": "pipelines", "east": "pipelines", "style": "pipelines",
    "augment": "pipelines", "spotting": "pipelines",
    "training": "training",
}


def layer_of(module: str) -> Optional[str]:
    """The layer of ``module`` (dotted name under ``textvision``), or None when the rule does not place it."""
    parts = module.split(".")[1:]
    if not parts:
        return "cli"  # the root package: the public face, which may re-export anything
    if parts[-1] in _CLI_NAMES:
        return "cli"
    if parts[-1] in _TRAINING_NAMES:
        return "training"
    return _TOP.get(parts[0])


class Arrow(NamedTuple):
    """One import: ``source`` (module) line ``line`` imports ``target`` (a module of the package)."""

    source: str
    line: int
    target: str


def modules_of(root: Path, package: str = "textvision") -> Dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file and compiled extension under ``root``."""
    found = {}
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        rel = path.relative_to(root)
        if path.suffix == ".py":
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
        elif path.suffix in (".so", ".pyd"):
            parts = [*rel.parent.parts, path.name.split(".")[0]]
        else:
            continue
        found[".".join([package, *parts])] = path
    return found


def arrows(root: Path, package: str = "textvision",
           exports_of: Callable[[str], Mapping[str, str]] = lambda pkg: {}) -> List[Arrow]:
    """Every import of a module of ``package`` by a module of it (``root`` is the package's folder).

    ``from P import NAME`` imports the module ``P.NAME`` when there is one, else the module that
    ``exports_of(P)`` (a package face's lazy table) says defines ``NAME``, else ``P`` itself: so
    ``from textvision import segment`` is an import of the root package, as is ``import textvision``.
    """
    modules = modules_of(root, package)
    out = []
    for name, path in modules.items():
        if path.suffix != ".py":
            continue
        is_pkg = path.name == "__init__.py"
        here = name if is_pkg else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module
                targets = [_resolve(base, a.name, modules, exports_of) for a in node.names]
            else:
                continue
            out += [Arrow(name, node.lineno, t) for t in targets if t == package or t.startswith(package + ".")]
    return list(dict.fromkeys(out))  # one arrow per line and target (``from m import a, b``)


def _resolve(base: str, name: str, modules: Mapping[str, Path], exports_of) -> str:
    seen = set()
    while True:
        if f"{base}.{name}" in modules:
            return f"{base}.{name}"
        target = exports_of(base).get(name)
        if target is None or target in seen:
            return base
        seen.add(target)
        base = target


class Finding(NamedTuple):
    what: str  # "upward", "unmapped", "unknown"
    text: str


def check(root: Path, package: str = "textvision", exports_of=lambda pkg: {}) -> List[Finding]:
    """Every arrow that points up a layer, every module the rule does not place, every import of a module
    that does not exist; empty when the package is layered as CONTRIBUTING.md says."""
    modules = modules_of(root, package)
    found = [Finding("unmapped", f"{m}: no layer (extend the rule in CONTRIBUTING.md 'Layers' and in this test)")
             for m in modules if layer_of(m) is None]
    for a in arrows(root, package, exports_of):
        if a.target not in modules:
            found.append(Finding("unknown", f"{a.source}:{a.line} imports {a.target}, which is no module"))
            continue
        src, dst = layer_of(a.source), layer_of(a.target)
        if src and dst and _RANK[dst] > _RANK[src]:
            found.append(Finding("upward", f"{a.source}:{a.line} ({src}) imports {a.target} ({dst})"))
    return found


def _real_exports(root: Path):
    for m, path in modules_of(root).items():
        if path.name == "__init__.py":
            importlib.import_module(m)  # package faces are light (no torch): they register their tables
    return exports


def test_textvision_imports_only_point_down():
    root = Path(textvision.__file__).parent
    found = check(root, exports_of=_real_exports(root))
    assert not found, "\n".join(f.text for f in found)


def test_every_module_of_textvision_has_a_layer_and_imports_are_seen():
    root = Path(textvision.__file__).parent
    mods = modules_of(root)
    assert {"textvision", "textvision._C", "textvision.models.text_fcn", "textvision.proposals.commands"} <= set(mods)
    assert all(layer_of(m) for m in mods)
    # the checker sees imports inside functions and resolves lazy exports to the defining module
    seen = {(a.source, a.target) for a in arrows(root, exports_of=_real_exports(root))}
    assert ("textvision.text_fcn.inference", "textvision.weights") in seen  # inside _prepare()
    assert ("textvision._ext", "textvision._C") in seen


@pytest.mark.parametrize("module, layer", [
    ("textvision", "cli"), ("textvision.cli", "cli"), ("textvision._cli", "cli"), ("textvision.__main__", "cli"),
    ("textvision.proposals.commands", "cli"), ("textvision.weights.commands", "cli"),
    ("textvision.text_fcn.train", "training"), ("textvision.style.distillation", "training"),
    ("textvision.proposals.compare", "training"), ("textvision.spotting.bench", "training"),
    ("textvision.training", "training"),
    ("textvision.text_fcn.inference", "pipelines"), ("textvision.proposals", "pipelines"),
    ("textvision.eval.deteval", "data"), ("textvision.data", "data"),
    ("textvision.models.style", "models"), ("textvision.models", "models"),
    ("textvision._validate", "ops"), ("textvision.ops.mser", "ops"), ("textvision.weights", "ops"),
    ("textvision._C", "ops"), ("textvision.something_new", None), ("textvision.newpkg.mod", None),
])
def test_layer_rule(module, layer):
    assert layer_of(module) == layer


def _write(root: Path, files: Dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / "textvision" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root / "textvision"


def test_checker_finds_every_kind_of_upward_arrow(tmp_path):
    """The checker on a tiny package: each crafted upward import is reported, the downward ones are not."""
    root = _write(tmp_path, {
        "__init__.py": "",
        "io.py": "",
        "models/__init__.py": "",
        "models/net.py": (
            "import os\n"
            "from textvision import io\n"                        # down: ops
            "from . import other\n"                              # same layer
            "def f():\n"
            "    from ..text_fcn import inference\n"         # up, relative, inside a function
            "    import textvision\n"                            # up to the root face
            "    return textvision.segment\n"
            "class C:\n"
            "    def g(self):\n"
            "        from textvision.text_fcn import segment\n"  # up: the lazy export's defining module
        ),
        "models/other.py": "from textvision import segment\n",  # up: a name of the root package
        "text_fcn/__init__.py": "",
        "text_fcn/inference.py": "from textvision.models import net\nfrom textvision.models.nothing import x\n",
        "text_fcn/commands.py": "import textvision.text_fcn.inference\n",
        "brandnew.py": "",
    })
    table = {"textvision": {"segment": "textvision.text_fcn"},
             "textvision.text_fcn": {"segment": "textvision.text_fcn.inference"}}
    found = check(root, exports_of=lambda pkg: table.get(pkg, {}))
    assert sorted(found) == sorted([
        Finding("upward", "textvision.models.net:5 (models) imports textvision.text_fcn.inference (pipelines)"),
        Finding("upward", "textvision.models.net:6 (models) imports textvision (cli)"),
        Finding("upward", "textvision.models.net:10 (models) imports textvision.text_fcn.inference (pipelines)"),
        Finding("upward", "textvision.models.other:1 (models) imports textvision.text_fcn.inference (pipelines)"),
        Finding("unknown", "textvision.text_fcn.inference:2 imports textvision.models.nothing, which is no module"),
        Finding("unmapped", "textvision.brandnew: no layer (extend the rule in CONTRIBUTING.md 'Layers' and in this "
                            "test)"),
    ])


def test_contributing_states_the_rule_the_test_applies():
    """CONTRIBUTING.md's "Layers" section names every layer, and every name the rule above is built from."""
    text = (Path(textvision.__file__).parent.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "## Layers" in text
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    assert " -> ".join(LAYERS) in section
    for name in sorted(_CLI_NAMES | _TRAINING_NAMES | set(_TOP)):
        assert f"`{name}" in section, f"CONTRIBUTING.md 'Layers' does not name {name!r}"
