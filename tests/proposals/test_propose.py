"""``textvision.propose`` (the headline call) and the thread rule (``textvision._threads``)."""
from pathlib import Path

import numpy as np
import pytest
import torch

import textvision
from textvision import _threads
from textvision.io import read_rgb
from textvision.proposals import PROPOSALS_FCN_MAX_SIDE, TextProposals, fcn_heatmap, propose

ASSETS = Path(textvision.__file__).resolve().parent / "assets"


@pytest.fixture(scope="module")
def photo():
    """The bundled real photograph, halved (the call's contract, not its speed, is tested here)."""
    import cv2

    img = read_rgb(ASSETS / "scenetext01.jpg")
    return np.ascontiguousarray(cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2),
                                           interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="module")
def result(photo):
    return propose(photo, device="cpu")


def test_lazy_export():
    assert textvision.propose is propose and "propose" in dir(textvision)


def test_propose_is_the_documented_recipe(photo, result):
    """The map is fcn_heatmap's (segment at the proposals working size); the proposals are exactly
    TextProposals with pixel pruning, the default ranker and re-ranking on that map."""
    hm = result.stats["heatmap"]
    assert hm.dtype == np.float32 and hm.shape == photo.shape[:2] and 0 <= hm.min() and hm.max() <= 1
    np.testing.assert_array_equal(hm, fcn_heatmap(photo, device="cpu"))
    np.testing.assert_array_equal(hm, textvision.segment(photo, max_side=PROPOSALS_FCN_MAX_SIDE, device="cpu"))
    ref = TextProposals(prune="pixels", min_prob=0.01, ranker="default", rerank=True)(photo, hm)  # the calibrated 0.01
    np.testing.assert_array_equal(result.boxes, ref.boxes)
    np.testing.assert_array_equal(result.scores, ref.scores)
    t = result.stats["time"]
    assert t["heatmap"] > 0 and t["all"] == pytest.approx(t["heatmap"] + t["total"])
    assert result.stats["wall_all"] >= result.stats["wall_heatmap"] > 0
    assert 0 < result.stats["regions_kept"] and len(result) == result.stats["proposals"] > 0


def test_given_heatmap_skips_textfcn(photo, result, monkeypatch):
    def no_fcn(*a, **k):
        raise AssertionError("TextFCN ran although a heatmap was given")

    monkeypatch.setattr(textvision.text_fcn, "segment", no_fcn)
    p = propose(photo, result.stats["heatmap"], top=25)
    np.testing.assert_array_equal(p.boxes, result.boxes[:25])
    assert p.stats["time"]["heatmap"] == 0 and p.stats["heatmap"] is not None


def test_input_kinds_agree(photo, result):
    """Grey, RGBA and tensors give what their RGB uint8 array gives (the map given, so no FCN runs)."""
    hm = result.stats["heatmap"]
    rgba = np.concatenate([photo, np.full(photo.shape[:2] + (1,), 7, np.uint8)], axis=2)
    np.testing.assert_array_equal(propose(rgba, hm).boxes, result.boxes)
    np.testing.assert_array_equal(propose(torch.from_numpy(photo), torch.from_numpy(hm)).boxes, result.boxes)
    grey = photo[..., 1].copy()
    np.testing.assert_array_equal(propose(grey, hm).boxes, propose(np.repeat(grey[..., None], 3, 2), hm).boxes)


@pytest.mark.parametrize("image, kind, match", [
    (np.zeros((0, 40, 3), np.uint8), ValueError, "at least 1x1"),
    (np.zeros((20, 20, 3), np.int32), TypeError, "int32"),
    (np.full((20, 20, 3), 255.0, np.float32), ValueError, r"float image must hold finite values in \[0, 1\]"),
    (np.zeros((20, 20, 2), np.uint8), ValueError, r"\(20, 20, 2\)"),
    ([[1, 2], [3, 4]], TypeError, "list"),
])
def test_bad_images(image, kind, match):
    with pytest.raises(kind, match=match):
        propose(image, heatmap=np.zeros((20, 20), np.float32))


def test_bad_heatmaps(photo):
    h, w = photo.shape[:2]
    with pytest.raises(ValueError, match=rf"\({h - 1}, {w}\)"):
        propose(photo, np.zeros((h - 1, w), np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        propose(photo, np.full((h, w), 1.5, np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]|finite|NaN"):
        propose(photo, np.full((h, w), np.nan, np.float32))
    with pytest.raises(TypeError, match="uint8"):
        propose(photo, np.zeros((h, w), np.uint8))


def test_bad_arguments(photo, result):
    hm = result.stats["heatmap"]
    with pytest.raises(ValueError, match="num_threads must be >= 1, got 0"):
        propose(photo, hm, num_threads=0)
    with pytest.raises(TypeError, match="num_threads must be an int"):
        propose(photo, hm, num_threads=True)
    with pytest.raises(ValueError, match="min_prob"):
        propose(photo, hm, min_prob=1.5)
    with pytest.raises(ValueError, match="top"):
        propose(photo, hm, top=0)
    with pytest.raises(ValueError, match="preset"):
        propose(photo, hm, preset="nope")
    with pytest.raises(ValueError, match="ranker_synth"):  # unknown registry name: the known ones listed
        propose(photo, hm, ranker="no_such_ranker")


def test_propose_refuses_an_evil_checkpoint(photo, evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused"):
        propose(photo, model=str(path), device="cpu")
    assert not marker.exists()


# --- the thread rule --------------------------------------------------------------------------------

def test_torch_threads_sets_and_restores(monkeypatch):
    monkeypatch.setattr(_threads, "available_cores", lambda: 8)
    torch.set_num_threads(3)
    with _threads.torch_threads(2) as n:
        assert n == 2 and torch.get_num_threads() == 2
    assert torch.get_num_threads() == 3
    with pytest.raises(RuntimeError, match="boom"):
        with _threads.torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == 3


def test_torch_threads_never_exceeds_the_cores(monkeypatch):
    monkeypatch.setattr(_threads, "available_cores", lambda: 2)
    with _threads.torch_threads(16) as n:
        assert n == 2 and torch.get_num_threads() == 2
    assert _threads.check_num_threads(16, "x") == 2 and _threads.check_num_threads(1, "x") == 1


def test_torch_threads_validates():
    with pytest.raises(ValueError, match="f: num_threads must be >= 1, got -1"):
        with _threads.torch_threads(-1, "f"):
            pass
    with pytest.raises(TypeError, match="num_threads must be an int >= 1, got float"):
        _threads.check_num_threads(2.0, "f")


@pytest.mark.parametrize("n", [1, 2])
def test_textfcn_runs_at_num_threads_and_restores(photo, monkeypatch, n):
    """propose and fcn_heatmap hand ``num_threads`` to segment (which applies the thread rule itself,
    tests/text_fcn/test_segment.py) and leave the caller's torch thread count alone."""
    monkeypatch.setattr(_threads, "available_cores", lambda: 4)
    seen = []

    def fake_segment(image, *a, **k):
        seen.append(k["num_threads"])
        return np.zeros(image.shape[:2], np.float32)

    monkeypatch.setattr(textvision.text_fcn, "segment", fake_segment)
    torch.set_num_threads(3)
    propose(photo, num_threads=n, ranker=None)
    fcn_heatmap(photo, num_threads=n)
    assert seen == [n, n] and torch.get_num_threads() == 3


def test_num_threads_means_cores_in_textproposals_too(photo, result, monkeypatch):
    """Same meaning, same cap: TextProposals(num_threads) is capped at the cores available and the
    proposals do not depend on it."""
    monkeypatch.setattr(_threads, "available_cores", lambda: 2)
    assert TextProposals(num_threads=8).num_threads == 2
    p = propose(photo, result.stats["heatmap"], num_threads=2)
    np.testing.assert_array_equal(p.boxes, result.boxes)
