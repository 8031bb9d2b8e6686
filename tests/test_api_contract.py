"""The public API's result contract: public functions return named results, never dicts or plain tuples.

Walks every public module of the package (no ``_`` in its dotted path), takes its ``__all__`` (and a
package face's lazy ``_LAZY`` names), and checks each public function and each public method of a
public class defined in textvision: the return annotation must exist and must not be (at its top,
looking through ``Optional`` / ``Union`` / ``X | None``) a dict, mapping or tuple.
The dataclass results (evaluators, trainers, data tools) are also checked to be frozen.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import textvision

#: Top-level annotations a public function may not return.
FORBIDDEN = {"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict", "tuple", "Tuple",
             "NamedTuple"}

#: Method names whose job is to produce a dict or tuple by a protocol of their own, everywhere.
PROTOCOL_METHODS = {
    "as_dict", "to_dict", "summary",  # JSON serialisers of result objects
    "forward",  # nn.Module: feature extractors return named feature maps, as torchvision's do
    "train", "eval",  # nn.Module.train(mode) overrides return the module (annotation not required)
    "get_transform_init_args", "get_transform_init_args_names", "get_params",  # albumentations protocol
}

# The ratchet: functions that still break the rule, each with why. Remove an entry when its function is
# converted; never add one without a reason a reviewer would accept.
EXCEPTIONS = {
    # checkpoint files are dicts on disk (the one checkpoint format): reading one gives that dict
    "textvision.checkpoint.load_checkpoint": "a checkpoint is a dict by format",
    "textvision.checkpoint.strip_module_prefix": "takes and returns a state_dict",
    "textvision.models.style.read_checkpoint": "a checkpoint is a dict by format",
    "textvision.models.east.EAST.config": "the plain config dict stored in checkpoints",
    # DataLoader collate functions return the batch dict the loop indexes by key
    "textvision.data.datasets.collate": "DataLoader collate protocol",
    "textvision.east.train.collate_east": "DataLoader collate protocol",
    # keyword arguments for another call, spread with **
    "textvision.ops.mser.textproposals_params": "**kwargs for ops.mser",
    "textvision.proposals.compare.default_methods": "name -> TextProposals kwargs",
}


def _public_modules():
    names = ["textvision"]
    for m in pkgutil.walk_packages(textvision.__path__, "textvision."):
        if not any(part.startswith("_") for part in m.name.split(".")[1:]):
            names.append(m.name)
    return names


def _top_names(node) -> list:
    """The type names at the top of an annotation, looking through Optional / Union / ``|``. A variadic
    ``Tuple[X, ...]`` is an immutable sequence of like items, not a tuple of unnamed fields: "Sequence"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _top_names(ast.parse(node.value, mode="eval").body)
    if isinstance(node, ast.Subscript):
        base = node.value
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
        if name in ("Tuple", "tuple") and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2 \
                and isinstance(node.slice.elts[1], ast.Constant) and node.slice.elts[1].value is Ellipsis:
            return ["Sequence"]
        if name in ("Optional", "Union"):
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return [n for p in parts for n in _top_names(p)]
        return [name]
    if isinstance(node, ast.BinOp):
        return _top_names(node.left) + _top_names(node.right)
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Name):
        return [node.id]
    return []


def _functions():
    """{qualified name: function} of every public function and public method of the public API."""
    found = {}
    for modname in _public_modules():
        mod = importlib.import_module(modname)
        names = list(getattr(mod, "__all__", None) or []) + list(getattr(mod, "_LAZY", None) or {})
        for n in names:
            if n.startswith("_"):
                continue
            obj = getattr(mod, n, None)
            if inspect.isfunction(obj) and obj.__module__.startswith("textvision"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            elif inspect.isclass(obj) and obj.__module__.startswith("textvision"):
                for mn, m in vars(obj).items():
                    if mn.startswith("_") or mn in PROTOCOL_METHODS:
                        continue
                    f = m.__func__ if isinstance(m, (staticmethod, classmethod)) else m
                    if inspect.isfunction(f) and f.__module__.startswith("textvision"):
                        found[f"{obj.__module__}.{obj.__qualname__}.{mn}"] = f
    return found


def _annotation(fn):
    r = inspect.signature(fn).return_annotation
    if r is inspect.Signature.empty:
        return None
    return r if isinstance(r, str) else inspect.formatannotation(r)


@pytest.fixture(scope="module")
def functions():
    return _functions()


def test_the_walk_finds_the_api(functions):
    # the walk itself: the evaluators, trainers and a class's method are seen (a broken walk passes vacuously)
    for name in ("textvision.eval.iou_protocol.icdar2015", "textvision.eval.deteval.deteval_icdar2013",
                 "textvision.east.train.train_east", "textvision.style.train.train_style",
                 "textvision.proposals.pipeline.Proposals.top"):
        assert name in functions, name
    assert len(functions) > 150


def test_no_public_function_returns_a_dict_or_tuple(functions):
    bad = []
    for name, fn in sorted(functions.items()):
        ann = _annotation(fn)
        if ann is None or name in EXCEPTIONS:
            continue
        hit = sorted(set(_top_names(ast.parse(ann, mode="eval").body)) & FORBIDDEN)
        if hit:
            bad.append(f"{name} -> {ann}")
    assert not bad, "public functions returning a dict or tuple (return a frozen dataclass):\n" + "\n".join(bad)


def test_every_public_function_has_a_return_annotation(functions):
    missing = sorted(n for n, fn in functions.items() if _annotation(fn) is None)
    assert not missing, "public functions without a return annotation:\n" + "\n".join(missing)


def test_the_exception_lists_only_shrink(functions):
    # an entry whose function is gone or now complies must be removed, so the list cannot go stale
    stale = []
    for name in EXCEPTIONS:
        fn = functions.get(name)
        ann = None if fn is None else _annotation(fn)
        if ann is None or not set(_top_names(ast.parse(ann, mode="eval").body)) & FORBIDDEN:
            stale.append(name)
    assert not stale, f"remove these from EXCEPTIONS: {sorted(stale)}"


def test_the_check_catches_dicts_tuples_and_missing_annotations():
    for ann, bad in (("Dict[str, float]", True), ("Optional[Tuple[int, int]]", True), ("dict", True),
                     ("tuple[np.ndarray, np.ndarray]", True), ("DetectionScores | None", False),
                     ("Tuple[WeightsEntry, ...]", False), ("Tuple[int, int]", True),
                     ("Union[None, Mapping[str, int]]", True), ("np.ndarray", False), ("List[dict]", False)):
        assert bool(set(_top_names(ast.parse(ann, mode="eval").body)) & FORBIDDEN) is bad, ann


def _results():
    from textvision.data.photos import SkippedCounts
    from textvision.data.synth_writer import SynthWriteResult
    from textvision.eval import (
        DetectionScores,
        EndToEndScores,
        ImageScores,
        Match,
        PixelScores,
        RecallAtK,
        TextMapScores,
    )
    from textvision.proposals import Proposals
    from textvision.training import TrainResult

    return [DetectionScores, EndToEndScores, ImageScores, Match, PixelScores, RecallAtK, TextMapScores, Proposals,
            TrainResult, SkippedCounts, SynthWriteResult]


@pytest.mark.parametrize("cls", _results(), ids=lambda c: c.__name__)
def test_result_types_are_frozen_dataclasses(cls):
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls
    fields = dataclasses.fields(cls)
    obj = cls(**{f.name: None for f in fields})
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, fields[0].name, 1)


def test_evaluators_and_trainers_return_their_result_types():
    import numpy as np

    from textvision.eval import (
        DetectionScores,
        EndToEndScores,
        RecallAtK,
        detection_rate,
        deteval_icdar2013,
        end_to_end_rate,
        icdar2015,
        icdar2015_end_to_end,
    )

    quad = np.array([[[0, 0], [10, 0], [10, 5], [0, 5]]], np.float32)
    assert type(icdar2015([quad], [quad])) is DetectionScores
    assert type(deteval_icdar2013([quad], [quad])) is DetectionScores
    from textvision.data import TextInstance

    assert type(icdar2015_end_to_end([[TextInstance(quad[0], "a")]], [(quad, ["a"])])) is EndToEndScores
    assert type(detection_rate(np.array([[0, 0, 10, 5]], np.float32), quad)) is RecallAtK
    assert type(end_to_end_rate([np.zeros(0, np.int64)], [[]])) is RecallAtK
    for name in ("train_text_fcn", "train_east", "train_style", "distill", "train_ranker"):
        mod = {"train_text_fcn": "textvision.text_fcn.train", "train_east": "textvision.east.train",
               "train_style": "textvision.style.train", "distill": "textvision.style.distillation",
               "train_ranker": "textvision.proposals.train"}[name]
        assert _annotation(getattr(importlib.import_module(mod), name)) == "TrainResult", name
