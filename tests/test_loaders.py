"""The two loader shapes and the weights registry's data file.

- Builders (``textvision.models``: ``text_fcn``, ``east``, ``style_net``, ``craft``, ``recognizer``, ``vgg16``,
  ``resnet18/34/50``, ``vgg16_features``) take ``weights=``: None is an untrained network and reads no file;
  a registry name or a path loads that file strict, with the architecture the checkpoint stores.
- Pipelines (``segment``, ``segment_batch``, ``propose``, ``detect``, ``stylize``, ``SelectiveTextStyle``,
  ``read``) take ``model=`` only (default ``"default"``).
- The registry is one JSON file beside the weights, validated on read; every entry is named after its file.
"""
import copy
import dataclasses
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import textvision
from textvision import checkpoint
from textvision import weights as registry
from textvision.checkpoint import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


# --- the registry's data file -----------------------------------------------------------------------------

def _doc():
    return json.loads(registry.REGISTRY_FILE.read_text())


def _write(tmp_path, doc, name="registry.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_registry_file_is_the_registry():
    assert registry.REGISTRY_FILE == Path(registry.__file__).parent / "registry.json"
    assert tuple(registry.read_registry()) == registry._ENTRIES
    assert [e["name"] for e in _doc()["entries"]] == list(registry.REGISTRY)
    # the data lives in the file only: the module holds no entry text of its own
    source = Path(registry.__file__).read_text()
    assert "sha256=" not in source and "provenance=(" not in source
    for e in registry._ENTRIES:
        assert e.sha256 not in source


def test_registry_file_ships_with_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["textvision"]
    assert "weights/*" in data  # registry.json and the weight files beside it go into the wheel and sdist


def test_every_entry_is_named_after_its_file():
    """One name per file: the entry ``ranker_synth`` is ``ranker_synth.json``. Third-party files keep their
    upstream names (the registry cannot rename them); among those, only HED's differs (``vgg16_hed``, the name
    the shipped style checkpoints record as their loss network)."""
    differ = []
    for e in registry._ENTRIES:
        stem = Path(e.file).name.split(".")[0]
        if e.shipped:
            assert stem == e.name, (e.name, e.file)
            assert registry.entry_path(e).is_file(), e.file
        elif stem != e.name:
            differ.append(e.name)
    assert differ == ["vgg16_hed"]
    shipped = {p.name for p in Path(registry.__file__).parent.iterdir() if p.suffix in (".pt", ".json")}
    assert shipped == {Path(e.file).name for e in registry._ENTRIES if e.shipped} | {"registry.json"}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["entries"][1].pop("sha256"), r"entry 1 \('text_fcn_lite_real'\): missing field 'sha256'"),
    (lambda d: d["entries"][2].update(size="658461"), r"'text_fcn_lite_synth'\): field 'size' must be int, got str"),
    (lambda d: d["entries"][2].update(size=True), r"field 'size' must be int, got bool"),
    (lambda d: d["entries"][0].update(size=-1), r"'text_fcn_ic15'\): field 'size' must be >= 0"),
    (lambda d: d["entries"][0].update(sha256="abc"), r"field 'sha256' must be 64 lowercase hex digits"),
    (lambda d: d["entries"][0].update(licence=None), r"field 'licence' must be str, got NoneType"),
    (lambda d: d["entries"][0].update(aliases="default"), r"field 'aliases' must be list"),
    (lambda d: d["entries"][0].update(aliases=[""]), r"'aliases' must be a list of non-empty strings"),
    (lambda d: d["entries"][0].update(licnese="MIT"), r"'text_fcn_ic15'\): unknown field\(s\) \['licnese'\]"),
    (lambda d: d["entries"][1].update(aliases=["default"]), r"'text_fcn_lite_real'\): name 'default' of model "
                                                            r"'text_fcn' is already used by 'text_fcn_ic15'"),
    (lambda d: d["entries"][1].update(name="text_fcn_ic15"), r"name 'text_fcn_ic15' of model 'text_fcn' is already"),
    (lambda d: d["entries"][-1].pop("pip"), r"'english_g2'\): a third-party entry .* needs 'pip'"),
    (lambda d: d["entries"].append(["not", "an", "object"]), r"entry 12: expected an object, got list"),
    (lambda d: d.update(format="something else"), r"not a weights registry"),
    (lambda d: d.pop("entries"), r"not a weights registry"),
])
def test_malformed_registry_is_refused_naming_the_entry(tmp_path, change, message):
    doc = copy.deepcopy(_doc())
    change(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(ValueError, match=message) as e:
        registry.read_registry(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_registry_that_is_no_json_is_refused(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text('{"format": "textvision-weights-registry", "entries": [')
    with pytest.raises(ValueError, match="cannot read the weights registry"):
        registry.read_registry(path)
    with pytest.raises(ValueError, match="cannot read"):
        registry.read_registry(tmp_path / "missing.json")


def test_optional_fields_default(tmp_path):
    doc = copy.deepcopy(_doc())
    doc["entries"] = [doc["entries"][0]]
    del doc["entries"][0]["aliases"]
    (entry,) = registry.read_registry(_write(tmp_path, doc))
    assert entry.aliases == () and entry.package is None and entry.shipped


def test_weights_cli_lists_the_file(capsys):
    from textvision.cli import main

    assert main(["weights", "--model", "ranker", "-v"]) == 0
    out = capsys.readouterr().out
    assert "ranker_synth, synth" in out and "ranker_synth.json" in out
    assert registry.REGISTRY["ranker_synth"].provenance in out  # the provenance text, as the file holds it


# --- builders: weights=None is untrained and reads nothing ----------------------------------------------

def _builders():
    from textvision.models import (
        craft,
        east,
        recognizer,
        resnet18,
        resnet34,
        resnet50,
        style_net,
        text_fcn,
        vgg16,
        vgg16_features,
    )
    from textvision.models.east import BACKBONES

    out = {
        "text_fcn(lite)": lambda: text_fcn("lite"),
        "text_fcn(vgg16)": lambda: text_fcn("vgg16"),
        "style_net": lambda: style_net(3),
        "craft": lambda: craft(),
        "recognizer": lambda: recognizer(),
        "vgg16": lambda: vgg16(),
        "vgg16_features": lambda: vgg16_features(),
        "resnet18": lambda: resnet18(),
        "resnet34": lambda: resnet34(),
        "resnet50": lambda: resnet50(),
    }
    out.update({f"east({b})": (lambda b=b: east(b)) for b in BACKBONES})
    return out


BIG = {"text_fcn(vgg16)", "vgg16", "vgg16_features", "craft", "east(vgg16)", "east(resnet50)", "resnet50"}


@pytest.mark.parametrize("name", sorted(_builders()))
def test_builder_with_no_weights_reads_no_file(name, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"{name} with weights=None read a file: {args}")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(checkpoint, "load_torch_file", refuse)
    monkeypatch.setattr(checkpoint, "load_checkpoint", refuse)
    real_resolve = registry.resolve
    monkeypatch.setattr(registry, "resolve", lambda w, model: refuse(w) if w is not None else real_resolve(w, model))
    # No hub side door: a torchvision file in torch's hub cache must not be found either.
    monkeypatch.setattr(torch.hub, "get_dir", refuse)
    if name in BIG:
        with torch.device("meta"):  # the structure only: random init of 100+ M parameters costs seconds
            model = _builders()[name]()
    else:
        model = _builders()[name]()
    assert isinstance(model, torch.nn.Module)


def test_untrained_builders_differ_from_the_shipped_files():
    from textvision.models import east, style_net, text_fcn

    torch.manual_seed(0)
    for untrained, family, name in ((text_fcn("lite"), "text_fcn", "text_fcn_lite_synth"),
                                    (east("vgg16bn_lite"), "east", "east_default")):
        shipped = load_checkpoint(registry.resolve(name, family))
        state = untrained.state_dict()
        assert set(state) == set(shipped["state_dict"]), name  # same layout...
        differs = [k for k, v in shipped["state_dict"].items() if v.is_floating_point() and v.numel() > 1
                   and not torch.equal(v.float(), state[k].float())]
        assert len(differs) > len(state) // 2, name  # ...other values
        assert untrained.training
    ckpt = load_checkpoint(registry.resolve("default", "style"))
    cfg = dict(ckpt["config"])
    net = style_net(cfg.pop("num_styles"), ckpt["style_names"], **cfg)
    assert net.training and net.style_images is None
    assert not torch.equal(net.out_conv.weight, ckpt["state_dict"]["out_conv.weight"])


# --- builders: a name or path loads that file, strict, its arch from the file -----------------------------

def _strict_case(build, family, name, tmp_path):
    """The builder loads the registered file exactly, and refuses the same file with one key too many."""
    path = registry.resolve(name, family)
    ckpt = load_checkpoint(path)
    model = build(name)
    assert not model.training
    for k, v in ckpt["state_dict"].items():
        torch.testing.assert_close(model.state_dict()[k], v.to(model.state_dict()[k].dtype), rtol=0, atol=0)
    extra = dict(ckpt)
    extra["state_dict"] = {**ckpt["state_dict"], "surplus.weight": torch.zeros(1)}
    bad = tmp_path / f"{name}_extra.pt"
    save_checkpoint(bad, kind=ckpt["kind"], state_dict=extra["state_dict"], config=ckpt["config"],
                    **{k: v for k, v in ckpt.items() if k not in ("format", "version", "kind", "config", "state_dict")})
    with pytest.raises(ValueError, match="Unexpected key.*surplus.weight") as e:
        build(bad)
    assert "\n" not in str(e.value)


def test_text_fcn_loads_strict_and_reads_its_arch(tmp_path):
    from textvision.models import text_fcn

    _strict_case(lambda w: text_fcn(weights=w), "text_fcn", "text_fcn_lite_synth", tmp_path)
    default = text_fcn(weights="default")  # arch None: whatever the file says (a widened lite network)
    assert default.config == load_checkpoint(registry.resolve("default", "text_fcn"))["config"]
    assert default.config["widths"] != text_fcn("lite").config["widths"]
    with pytest.raises(ValueError, match="not 'vgg16'"):
        text_fcn("vgg16", weights="default")


def test_east_loads_strict_and_reads_its_arch(tmp_path):
    from textvision.models import east

    _strict_case(lambda w: east(weights=w), "east", "east_default", tmp_path)
    assert east(weights="default").backbone_name == "vgg16bn_lite"


def test_style_net_loads_strict(tmp_path):
    from textvision.models import style_net

    for name in ("style_default", "style_default_distilled"):
        _strict_case(lambda w: style_net(weights=w), "style", name, tmp_path)
    net = style_net(weights="default")
    assert net.kind == "two-stage" and len(net.style_names) == 20 and net.style_images is not None


def test_resnet_family_has_no_entries_and_takes_a_path(tmp_path):
    from textvision.models import resnet18

    assert registry.list_weights("resnet") == []
    with pytest.raises(ValueError, match="unknown resnet weights 'default': registered names are none"):
        resnet18(weights="default")
    torch.manual_seed(3)
    ref = resnet18()
    torch.save(ref.state_dict(), tmp_path / "r18.pth")
    torch.testing.assert_close(resnet18(weights=tmp_path / "r18.pth").state_dict()["fc.weight"],
                               ref.state_dict()["fc.weight"])


def test_ranker_load_takes_registry_names_and_paths(tmp_path):
    from textvision.proposals import Ranker

    default = Ranker.load()
    assert Ranker.load("ranker_ic15").feature.tolist() == default.feature.tolist()
    synth = Ranker.load("synth")
    assert synth.feature.tolist() == Ranker.load(registry.resolve("ranker_synth", "ranker")).feature.tolist()
    assert synth.feature.tolist() != default.feature.tolist()
    with pytest.raises(ValueError, match="unknown ranker weights 'nope'.*ranker_real.*ranker_synth"):
        Ranker.load("nope")
    with pytest.raises(FileNotFoundError, match="missing.json"):
        Ranker.load(tmp_path / "missing.json")


def test_models_builders_are_never_shadowed_by_their_modules():
    # A fresh interpreter: importing the submodules first (as the pipelines do) must not turn
    # textvision.models.text_fcn / east / craft / recognizer into modules.
    code = ("import textvision.models.east, textvision.models.craft, textvision.models.recognizer\n"
            "import textvision.models.text_fcn, textvision.text_fcn.inference\n"
            "import textvision.east.decode, textvision.spotting.recognition\n"
            "import types, textvision.models as m\n"
            "from textvision.models import craft, east, recognizer, text_fcn\n"
            "from textvision.models.east import EAST\n"
            "from textvision.models.text_fcn import TextFCN\n"
            "assert all(isinstance(f, types.FunctionType) for f in (craft, east, recognizer, text_fcn, m.east,\n"
            "                                                       m.text_fcn)), (craft, east, text_fcn)\n"
            "assert isinstance(east('tiny'), EAST) and isinstance(text_fcn('lite'), TextFCN)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- pipelines: model= only ---------------------------------------------------------------------------

def _pipelines():
    from textvision.augment import SelectiveTextStyle
    from textvision.east import detect, detect_batch
    from textvision.proposals import fcn_heatmap, propose
    from textvision.spotting import read
    from textvision.style import stylize, stylize_batch
    from textvision.text_fcn import segment, segment_batch

    return {"segment": segment, "segment_batch": segment_batch, "propose": propose, "fcn_heatmap": fcn_heatmap,
            "detect": detect, "detect_batch": detect_batch, "stylize": stylize, "stylize_batch": stylize_batch,
            "SelectiveTextStyle": SelectiveTextStyle.__init__, "read": read}


@pytest.mark.parametrize("name", sorted(_pipelines()))
def test_pipelines_take_model_only(name):
    params = inspect.signature(_pipelines()[name]).parameters
    assert "weights" not in params
    assert params["model"].default == "default"


def test_textvision_names_no_hub_cache():
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "textvision").rglob("*.py")
            if "torch.hub" in p.read_text() or "hub_dir" in p.read_text()]
    assert hits == []


def test_old_loader_names_are_gone():
    import textvision.models as models
    import textvision.proposals as proposals
    import textvision.style as style
    import textvision.text_fcn as text_fcn_pkg

    for module, names in ((models, ("load_text_fcn", "text_fcn_lite", "text_fcn_vgg16", "east_tiny", "east_vgg16",
                                    "east_resnet50", "load_vgg16_imagenet", "load_resnet_imagenet")),
                          (style, ("load_style_model",)), (text_fcn_pkg, ("default_model",)),
                          (proposals, ("load_default_ranker",)), (textvision.east, ("load_east",))):
        for n in names:
            assert not hasattr(module, n), f"{module.__name__}.{n}"
    assert dataclasses.is_dataclass(registry.WeightsEntry)
