"""One compiled op, one name: ``csrc/<family>/`` (CPU and CUDA side by side) -> its binding -> one Python
home -> its tests.

The rule (CONTRIBUTING.md "Layout"): every function a ``csrc/<family>/*_bind.cpp`` registers is called
only from that family's Python home (``textvision/ops/<family>.py`` or the package ``textvision/<family>/``;
the CUDA device queries from ``textvision/_ext.py`` and ``textvision/ops/``), every ``.cu`` file sits in
the family whose binding exposes it, and every family has tests (``tests/ops/test_<family>.py`` or
``tests/<family>/``). Read from the sources, so it needs no build.
"""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRC = os.path.join(ROOT, "csrc")
PKG = os.path.join(ROOT, "textvision")
# The binding's first argument: m.def(\n "name", ...
_DEF = re.compile(r'm\.def\(\s*"(\w+)"')
_CALL = re.compile(r"(?:core\(\)|_C)\.(\w+)")


def _families():
    out = {}
    for fam in sorted(os.listdir(CSRC)):
        d = os.path.join(CSRC, fam)
        if not os.path.isdir(d):
            continue
        names = []
        for f in sorted(os.listdir(d)):
            if f.endswith("_bind.cpp"):
                with open(os.path.join(d, f)) as fh:
                    names += _DEF.findall(fh.read())
        out[fam] = names
    return out


def _homes(fam):
    if fam == "cuda":  # device queries, not an op: the extension loader and `textvision ops`
        return [os.path.join(PKG, "_ext.py"), os.path.join(PKG, "ops") + os.sep]
    return [os.path.join(PKG, "ops", fam + ".py"), os.path.join(PKG, fam) + os.sep]


def _calls(top=PKG):
    found = {}
    for dirpath, _, files in os.walk(top):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                with open(path) as fh:
                    for name in _CALL.findall(fh.read()):
                        found.setdefault(name, set()).add(path)
    return found


def test_every_family_binds_something():
    fams = _families()
    assert {"mser", "nms", "proposals", "regions", "cuda"} <= set(fams)
    for fam, names in fams.items():
        assert names, f"csrc/{fam}/ registers no function (no m.def in a *_bind.cpp)"


def test_bindings_are_unique_and_called_from_their_family_only():
    fams, calls = _families(), _calls()
    owner = {}
    for fam, names in fams.items():
        for name in names:
            assert name not in owner, f"{name} is bound by both csrc/{owner[name]}/ and csrc/{fam}/"
            owner[name] = fam
    for name, paths in calls.items():
        if name not in owner:
            continue  # not a binding (e.g. an attribute of another object called _C)
        homes = _homes(owner[name])
        for p in paths:
            # A home ending in a separator is a package folder; any other is one file.
            assert any(p.startswith(h) if h.endswith(os.sep) else p == h for h in homes), (
                f"{os.path.relpath(p, ROOT)} calls _C.{name} from csrc/{owner[name]}/; its Python home is "
                f"{', '.join(os.path.relpath(h, ROOT) for h in homes)}")


def test_every_binding_is_used():
    # A pipeline stage may be bound only so its tests can check it against a reference step by step.
    fams, calls = _families(), _calls()
    tested = _calls(os.path.dirname(os.path.abspath(__file__)))
    for fam, names in fams.items():
        for name in names:
            assert name in calls or name in tested, f"_C.{name} (csrc/{fam}/) is called nowhere in textvision/ or tests/"


def test_cuda_sources_sit_with_their_family():
    for dirpath, _, files in os.walk(CSRC):
        for f in files:
            if f.endswith(".cu"):
                fam = os.path.relpath(dirpath, CSRC).split(os.sep)[0]
                stem = os.path.splitext(f)[0]
                if fam == "cuda":
                    assert stem == "device", f"csrc/cuda/{f}: a kernel belongs in its op family's folder"
                else:
                    # The CPU-only stand-in beside it keeps the entry points in a build without nvcc.
                    assert os.path.isfile(os.path.join(dirpath, stem + "_stub.cpp")), (
                        f"csrc/{fam}/{f} has no CPU-only stand-in {stem}_stub.cpp beside it")


def test_every_family_has_tests():
    tests = os.path.dirname(os.path.abspath(__file__))
    for fam in _families():
        if fam == "cuda":
            assert os.path.isfile(os.path.join(tests, "test_cuda.py"))
            continue
        assert (os.path.isfile(os.path.join(tests, "ops", f"test_{fam}.py"))
                or os.path.isdir(os.path.join(tests, fam))), f"csrc/{fam}/ has no tests/ops/test_{fam}.py or tests/{fam}/"
