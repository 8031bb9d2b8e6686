"""textvision._lazy: the one lazy re-export helper of the package faces."""
import importlib
import subprocess
import sys
import types

import pytest

import textvision
from textvision._lazy import exports, lazy_exports

# Every package face that re-exports lazily (each must register a table with lazy_exports).
FACES = ["textvision", "textvision.models", "textvision.data", "textvision.text_fcn", "textvision.augment",
         "textvision.spotting", "textvision.east", "textvision.style"]


@pytest.fixture
def fake(monkeypatch):
    """A package ``fakepkg`` with a lazy function, a lazy submodule and a builder named like its module."""
    mods = {}
    for name, attrs in {"fakepkg": {}, "fakepkg.impl": {"thing": object()},
                        "fakepkg.sub": {}, "fakepkg.east": {"east": object()}}.items():
        mod = types.ModuleType(name)
        vars(mod).update(attrs)
        mods[name] = mod
        monkeypatch.setitem(sys.modules, name, mod)
    pkg = mods["fakepkg"]
    pkg.own = 1
    pkg.__getattr__, pkg.__dir__ = lazy_exports("fakepkg", {"thing": ".impl", "east": "fakepkg.east"},
                                                submodules=["sub"])
    return pkg, mods


def test_names_resolve_to_the_defining_modules_objects(fake):
    pkg, mods = fake
    assert pkg.thing is mods["fakepkg.impl"].thing
    assert pkg.sub is mods["fakepkg.sub"]
    assert pkg.east is mods["fakepkg.east"].east  # a builder named like its module: the builder
    assert dict(exports("fakepkg")) == {"thing": "fakepkg.impl", "east": "fakepkg.east", "sub": "fakepkg.sub"}


def test_unknown_name_is_an_attribute_error_naming_the_package(fake):
    pkg, _ = fake
    with pytest.raises(AttributeError, match=r"module 'fakepkg' has no attribute 'nope'"):
        pkg.nope  # noqa: B018
    assert not hasattr(pkg, "impl")  # a submodule not exported is not reachable through the table


def test_dir_lists_own_globals_and_exports(fake):
    pkg, _ = fake
    listed = dir(pkg)
    assert {"own", "thing", "sub", "east"} <= set(listed) and listed == sorted(listed)


@pytest.mark.parametrize("face", FACES)
def test_every_face_exports_through_the_helper(face):
    mod = importlib.import_module(face)
    table = exports(face)
    assert table, f"{face} registers no lazy table"
    listed = set(dir(mod))
    for name, module in table.items():
        assert name in listed
        got = getattr(mod, name)
        defining = importlib.import_module(module)
        # a submodule export is the module; a builder named like its module (models.east) is the builder
        want = getattr(defining, name) if hasattr(defining, name) else defining
        assert got is want, (face, name, module)
    with pytest.raises(AttributeError, match=rf"module '{face}' has no attribute 'no_such_name'"):
        getattr(mod, "no_such_name")


def test_root_conveniences_are_the_pipelines_own_functions():
    from textvision.proposals.headline import propose
    from textvision.spotting.reader import read
    from textvision.text_fcn.inference import segment

    assert textvision.segment is segment and textvision.propose is propose and textvision.read is read
    assert textvision.ops is importlib.import_module("textvision.ops")


def test_faces_and_cli_help_import_no_torch():
    """The faces stay light: importing every one, and ``textvision --help``, loads no torch."""
    code = ("import contextlib, io, sys\n"
            f"for m in {FACES + ['textvision.proposals', 'textvision.eval', 'textvision.ops', 'textvision.weights']!r}:\n"
            "    __import__(m)\n"
            "from textvision.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try:\n"
            "        main(['--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "assert 'usage: textvision' in out.getvalue()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')[:3])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
