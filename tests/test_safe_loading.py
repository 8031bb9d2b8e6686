"""Every torch file is read with ``torch.load(..., weights_only=True)``, whatever torch's own default.

torch >= 2.6 defaults to ``weights_only=True``, but ``pyproject.toml`` allows torch >= 2.1, whose default
unpickles arbitrary code; the ``evil_checkpoint`` tests would pass on a recent torch even without the
argument. So the argument itself is checked: in the source (every ``torch.load`` call passes
``weights_only=True`` literally, and nothing else unpickles) and at run time (each public loader reaches
``torch.load`` with it).
"""
import ast
from pathlib import Path

import pytest
import torch

import textvision

PACKAGE = Path(textvision.__file__).parent


class _Reached(Exception):
    """Raised by the patched torch.load: the loader got that far (nothing is read)."""


def _dotted(node) -> str:
    """``torch.jit.load`` for the callee of a call; "" when it is no plain (dotted) name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def _keyword_true(call, name) -> bool:
    value = {k.arg: k.value for k in call.keywords}.get(name)
    return isinstance(value, ast.Constant) and value.value is True


def test_every_torch_load_in_the_package_passes_weights_only_true():
    sites, bad = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        rel = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name, where = _dotted(node.func), f"{rel}:{node.lineno}"
            if name == "torch.load":
                sites.append(where)
                if not _keyword_true(node, "weights_only"):
                    bad.append(f"{where}: torch.load without weights_only=True")
            elif name in ("pickle.load", "pickle.loads", "torch.jit.load", "jit.load"):
                bad.append(f"{where}: {name} runs whatever the file holds")
            elif name in ("np.load", "numpy.load") and _keyword_true(node, "allow_pickle"):
                bad.append(f"{where}: np.load(allow_pickle=True)")
    assert not bad, bad
    # the one place, which every loader below goes through
    assert sites and all(s.startswith("textvision/checkpoint.py:") for s in sites), sites


def _loaders():
    from textvision.checkpoint import load_checkpoint, load_torch_file
    from textvision.models import craft, east, recognizer, resnet18, resnet34, resnet50, style_net, text_fcn, vgg16
    from textvision.models.east import EAST
    from textvision.style.inference import read_checkpoint

    return {
        "checkpoint.load_torch_file": load_torch_file,
        "checkpoint.load_checkpoint": load_checkpoint,
        "models.text_fcn": lambda p: text_fcn(weights=p),
        "models.east": lambda p: east(weights=p),
        "models.EAST.load_backbone": lambda p: EAST("resnet50").load_backbone(p),
        "models.vgg16": vgg16,
        "models.resnet18": resnet18,
        "models.resnet34": resnet34,
        "models.resnet50": resnet50,
        "models.craft": craft,
        "models.recognizer": recognizer,
        "models.style_net": lambda p: style_net(weights=p),
        "style.read_checkpoint": read_checkpoint,
    }


@pytest.mark.parametrize("name", sorted(_loaders()))
def test_each_loader_reaches_torch_load_with_weights_only_true(name, tmp_path, monkeypatch):
    calls = []

    def recording_load(*args, **kwargs):
        calls.append(kwargs)
        raise _Reached

    monkeypatch.setattr(torch, "load", recording_load)
    path = tmp_path / "weights.pth"
    path.write_bytes(b"not read: torch.load is patched")
    with pytest.raises(Exception):  # the loaders turn the stop into their one-line ValueError, or pass it on
        _loaders()[name](str(path))
    assert len(calls) == 1, f"{name} did not reach torch.load"
    assert calls[0].get("weights_only") is True, calls[0]
