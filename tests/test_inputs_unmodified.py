"""Public functions never modify the arrays they are given.

Every public function that takes arrays is called with read-only inputs (``setflags(write=False)``:
an in-place write raises) and the inputs are compared with saved copies afterwards (catches writes
through a path that ignores the flag, e.g. a C++ binding given a raw pointer, or a tensor made with
``torch.from_numpy`` that silently shares memory). Inputs are tiny so the whole file runs in seconds.

``test_every_public_name_is_classified`` keeps the list honest: each name in a subpackage's
``__all__`` is either called here or listed as taking no arrays (with the reason), so a new public
function has to be added to one or the other.
"""
import dataclasses
import importlib

import cv2
import numpy as np
import pytest
import torch

from textvision.data import TextInstance

RNG = np.random.default_rng(0)


def _image(h=32, w=40):
    """uint8 HxWx3 RGB with two dark words on a light background (MSER finds regions in it)."""
    img = np.full((h, w, 3), 200, np.uint8)
    cv2.putText(img, "ab", (3, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (20, 20, 20), 2)
    img[..., 1] = np.clip(img[..., 1].astype(int) + RNG.integers(-5, 5, (h, w)), 0, 255).astype(np.uint8)
    return img


def _heat(h=32, w=40):
    return RNG.random((h, w)).astype(np.float32)


def _quads():
    return np.array([[[2, 2], [20, 2], [20, 12], [2, 12]],
                     [[4, 3], [22, 3], [22, 13], [4, 13]],
                     [[25, 20], [38, 20], [38, 30], [25, 30]]], np.float32)


def _instances():
    q = _quads()
    return [TextInstance(q[0], "ab"), TextInstance(q[2], "###", ignore=True)]


# ------------------------------------------------------------------------------------------------
# freezing and comparing


def _arrays(obj, seen=None):
    """Every NumPy array or torch tensor reachable from ``obj`` (lists, tuples, dicts, dataclasses)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return [obj]
    if isinstance(obj, dict):
        return [a for v in obj.values() for a in _arrays(v, seen)]
    if isinstance(obj, (list, tuple)):
        return [a for v in obj for a in _arrays(v, seen)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [a for f in dataclasses.fields(obj) for a in _arrays(getattr(obj, f.name), seen)]
    return []


def _call_frozen(fn, args, kwargs):
    inputs = _arrays((args, kwargs))
    assert inputs, "the case passes no arrays: it would test nothing"
    saved = [a.clone() if isinstance(a, torch.Tensor) else a.copy() for a in inputs]
    for a in inputs:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)
    fn(*args, **kwargs)
    for a, s in zip(inputs, saved):
        if isinstance(a, torch.Tensor):
            assert torch.equal(a, s), f"{fn} modified a tensor input of shape {tuple(a.shape)}"
        else:
            assert a.dtype == s.dtype and a.shape == s.shape
            np.testing.assert_array_equal(a, s, err_msg=f"{fn} modified an input of shape {a.shape}")


# ------------------------------------------------------------------------------------------------
# tiny untrained models (no weights needed; what is tested is the handling of the inputs)


def _tiny_fcn():
    from textvision.models.text_fcn import text_fcn

    torch.manual_seed(0)
    return text_fcn("lite", widths=(4, 4, 4, 4, 4)).eval()


def _tiny_style():
    from textvision.models.style import StyleNet

    torch.manual_seed(0)
    return StyleNet(2, ["a", "b"], base_channels=4, num_res_blocks=1).eval()


def _tiny_east():
    from textvision.models.east import east

    torch.manual_seed(0)
    return east("tiny").eval()


def _tiny_recognizer():
    from textvision.models.recognizer import Recognizer

    torch.manual_seed(0)
    return Recognizer(hidden=8, channels=16).eval()


# ------------------------------------------------------------------------------------------------
# the cases: name -> () -> (callable, args, kwargs). Built lazily so one broken import fails one case.


def _mser():
    from textvision.ops import mser

    return mser, (_image()[..., 0],), dict(min_area=4, prob=_heat(), min_prob=0.0, return_pixels=True)


def _csr():
    from textvision.ops import points_to_csr

    return points_to_csr, ([np.array([[1, 2], [3, 4]], np.int32), np.array([[0, 0]], np.int32)], 40), {}


def _region_mean():
    from textvision.ops import region_mean

    return region_mean, (_heat(), np.array([0, 2, 3], np.int64), np.array([5, 6, 7], np.int32)), {}


def _box_mean():
    from textvision.ops import box_mean

    return box_mean, (_heat(), np.array([[0, 0, 5, 5], [3, 4, 30, 20]], np.int32)), {}


def _box_mean_float():
    from textvision.ops import box_mean

    return box_mean, (_heat(), np.array([[0.5, 0, 5.2, 5], [3, 4, 30, 20.5]], np.float32)), {}


def _polygon_iou():
    from textvision.ops import polygon_iou

    return polygon_iou, (_quads(), _quads()[::-1].copy()), {}


def _polygon_nms():
    from textvision.ops import polygon_nms

    return polygon_nms, (_quads(), np.array([0.9, 0.8, 0.7], np.float32)), {}


def _lanms():
    from textvision.ops import lanms

    return lanms, (_quads(), np.array([0.9, 0.8, 0.7], np.float32)), {}


def _proposals():
    from textvision.proposals import TextProposals

    return TextProposals(scales=(1.0,), min_area=0.001), (_image(), _heat()), {}


def _propose():
    from textvision.proposals import propose

    return propose, (_image(),), {"model": _tiny_fcn(), "ranker": None}


def _propose_heatmap():
    from textvision.proposals import propose

    return propose, (_image(), _heat()), {"ranker": None}


def _evidence():
    from textvision.proposals import heatmap_evidence

    return heatmap_evidence, (_heat(), np.array([[2, 2, 10, 8], [3, 4, 30, 20]], np.int64)), {}


def _meaningfulness():
    from textvision.proposals import meaningfulness

    return meaningfulness, (RNG.random((5, 18)).astype(np.float32),), {}


def _ranker():
    from textvision.proposals import Ranker

    ranker = Ranker.load("default")
    return ranker.predict_proba, (RNG.random((5, 18)).astype(np.float32),), {}


def _mst():
    from textvision.proposals import euclidean_mst

    return euclidean_mst, (RNG.random((20, 3)),), {}


def _linkage():
    from textvision.proposals import single_linkage

    return single_linkage, (RNG.random((20, 3)),), {}


def _fcn_heatmap():
    from textvision.proposals import fcn_heatmap

    return fcn_heatmap, (_image(), _tiny_fcn()), {}


def _segment():
    from textvision.text_fcn import segment

    return segment, (_image(),), dict(model=_tiny_fcn(), max_side=None)


def _segment_tiled():
    from textvision.text_fcn import segment

    return segment, (_image(48, 56),), dict(model=_tiny_fcn(), max_side=None, tile=32)


def _segment_tensor():
    from textvision.text_fcn import segment

    return segment, (torch.from_numpy(_image()),), dict(model=_tiny_fcn(), max_side=None)


def _segment_batch():
    from textvision.text_fcn import segment_batch

    return segment_batch, ([_image(), _image(24, 40), _image()],), dict(model=_tiny_fcn(), max_side=None)


def _segment_float():
    from textvision.text_fcn import segment

    return segment, (_image().astype(np.float32) / 255,), dict(model=_tiny_fcn(), max_side=None)


def _as_rgb():
    from textvision._validate import image_rgb

    return image_rgb, (_image()[..., 0],), {}


def _coverage():
    from textvision.text_fcn import text_coverage

    return text_coverage, (_heat(),), {}


def _blend():
    from textvision.style import blend

    return blend, (_image(), _image()[::-1].copy(), _heat()), dict(threshold=0.3)


def _stylize():
    from textvision.style import stylize

    return stylize, (_image(), _tiny_style(), "a"), dict(heatmap=_heat())


def _stylize_weights():
    from textvision.style import stylize

    return stylize, (_image(), _tiny_style(), np.array([0.25, 0.75])), dict(heatmap=_heat())


def _stylize_distilled():
    from textvision.style import stylize

    return stylize, (_image(), _tiny_style(), "b"), dict(mode="distilled")


def _stylize_batch():
    from textvision.style import stylize_batch

    return stylize_batch, ([_image(), _image(24, 40)], _tiny_style(), ["a", "b"]), dict(
        heatmaps=[_heat(), _heat(24, 40)])


def _two_stage():
    from textvision.style import two_stage

    return two_stage, (_image(), _tiny_style(), "a"), dict(fcn=_tiny_fcn())


def _image_to_tensor():
    from textvision.style import image_to_tensor

    return image_to_tensor, ([_image()],), {}


def _tensor_to_image():
    from textvision.style import tensor_to_image

    return tensor_to_image, (torch.rand(1, 3, 8, 8),), {}


def _gram():
    from textvision.style import gram_matrix

    return gram_matrix, (torch.rand(1, 3, 8, 8),), {}


def _masked_gram():
    from textvision.style import masked_gram

    return masked_gram, (torch.rand(1, 3, 8, 8), torch.rand(1, 1, 8, 8)), {}


def _tv():
    from textvision.style import total_variation

    return total_variation, (torch.rand(1, 3, 8, 8),), {}


def _selective_style():
    from textvision.augment import SelectiveTextStyle

    t = SelectiveTextStyle(_tiny_style(), fcn=_tiny_fcn(), p=1.0)
    return (lambda image: t(image=image)), (), dict(image=_image())


def _east_decode():
    from textvision.east import decode

    score = np.zeros((8, 10), np.float32)
    score[2:5, 2:7] = 0.95
    geo = np.zeros((5, 8, 10), np.float32)
    geo[:4] = 6.0
    return decode, (score, geo), {}


def _east_detect():
    from textvision.east import detect

    return detect, (_image(),), dict(model=_tiny_east(), score_threshold=0.0)


def _east_detect_batch():
    from textvision.east import detect_batch

    return detect_batch, ([_image(), _image(24, 40)],), dict(model=_tiny_east(), score_threshold=0.0)


def _east_targets():
    from textvision.east import targets

    return targets, ((32, 40), _quads()), dict(ignore=np.array([False, False, True]))


def _east_targets_instances():
    from textvision.east import targets

    return targets, ((32, 40), _instances()), {}


def _east_loss():
    from textvision.east import EASTLoss
    from textvision.east.targets import targets

    t = targets((32, 64), _quads() * 1.5)
    torch.manual_seed(0)
    pred = (torch.rand(1, 1, 8, 16), torch.rand(1, 5, 8, 16) * 10)
    tgt = (torch.from_numpy(t.score)[None, None], torch.from_numpy(t.geometry)[None],
           torch.from_numpy(t.mask)[None, None])
    return EASTLoss(), (*pred, *tgt), {}


def _icdar2015():
    from textvision.eval import icdar2015

    return icdar2015, ([_instances(), (_quads(), np.array([0, 0, 1], bool))], [_quads()[:2], _quads()]), {}


def _deteval():
    from textvision.eval import deteval_icdar2013

    return deteval_icdar2013, ([_quads(), (_quads(), np.array([0, 1, 0], bool))], [_quads()[:2], _quads()]), {}


def _iou_matrix():
    from textvision.eval import polygon_iou_matrix

    return polygon_iou_matrix, (_quads(), _quads()[:2]), {}


def _boxes_for_eval():
    return np.array([[2, 2, 20, 12], [4, 3, 22, 13], [25, 20, 38, 30]], np.float32)


def _first_hit():
    from textvision.eval import first_hit_rank

    return first_hit_rank, (_boxes_for_eval(), _boxes_for_eval()[1:]), {}


def _text_map_scores():
    from textvision.data import TextInstance
    from textvision.eval import text_map_scores

    prob = np.zeros((40, 60), np.float32)
    prob[10:20, 10:40] = 0.8
    quad = np.array([[10, 10], [40, 10], [40, 20], [10, 20]], np.float32)
    return text_map_scores, (prob, [TextInstance(quad, "word", False)]), {}


def _average_precision():
    from textvision.eval import average_precision

    return average_precision, (np.array([0.9, 0.2, 0.6], np.float32), np.array([1, 0, 1], bool)), {}


def _pixel_scores():
    from textvision.eval import pixel_scores

    prob = np.array([[0.9, 0.6, 0.1], [0.2, 0.7, 0.4]], np.float32)
    return pixel_scores, (prob, np.array([[1, 0, 1], [0, 1, 1]], np.uint8), np.array([[0, 1, 0], [0, 0, 1]], np.uint8)), {}


def _detection_rate():
    from textvision.eval import detection_rate

    return detection_rate, (_boxes_for_eval(), _boxes_for_eval()[1:]), dict(ks=(1, None),
                                                                             ignore=np.array([False, True]))


def _masks():
    from textvision.data import instances_to_masks

    return instances_to_masks, (_instances(), (32, 40)), dict(scale=0.5)


def _rasterize():
    from textvision.data.masks import rasterize_quads

    return rasterize_quads, (_quads(), (32, 40)), {}


def _order():
    from textvision.data import order_clockwise

    return order_clockwise, (_quads()[0][::-1].copy(),), {}


def _box_to_quad():
    from textvision.data import box_to_quad

    return box_to_quad, (np.array([1.0, 2.0, 5.0, 6.0]),), {}


def _quads_of():
    from textvision.data import quads_of

    return quads_of, (_instances(),), {}


def _boxes_of():
    from textvision.data import boxes_of

    return boxes_of, (_instances(),), {}


def _write_icdar2015(tmp_path):
    from textvision.data import write_icdar2015

    return write_icdar2015, (tmp_path / "gt.txt", _instances()), {}


def _write_icdar2013(tmp_path):
    from textvision.data import write_icdar2013

    return write_icdar2013, (tmp_path / "gt.txt", _instances()), {}


def _collate():
    from textvision.data import collate

    return collate, ([{"image": _image(), "q": _quads()}, {"image": _image(), "q": _quads()[:1]}],), {}


def _e2e():
    from textvision.eval import icdar2015_end_to_end

    return icdar2015_end_to_end, ([_instances()], [(_quads(), ["ab", "x", "y"])]), {}


def _first_read():
    from textvision.eval import first_read_rank

    return first_read_rank, (np.array([[2, 2, 20, 12], [0, 0, 5, 5]], np.float32), ["ab", ""], _instances()), {}


def _e2e_rate():
    from textvision.eval import end_to_end_rate

    return end_to_end_rate, ([np.array([0, -1])], [_instances()]), {}


def _word_crops():
    from textvision.spotting import word_crops

    return word_crops, (_image(), _quads()), {}


def _word_crops_boxes():
    from textvision.spotting import word_crops

    return word_crops, (_image(),), dict(boxes=np.array([[2, 2, 20, 12], [1.5, 0, 39, 31]], np.float32))


def _fit_crop():
    from textvision.spotting import fit_crop

    return fit_crop, (_image(),), {}


def _recognize_crops():
    from textvision.spotting import recognize_crops

    return recognize_crops, ([_image(), np.zeros((64, 16), np.uint8), np.zeros((64, 0), np.uint8)],
                             _tiny_recognizer()), {}


def _recognize():
    from textvision.spotting import recognize

    return recognize, (_image(), _quads()), dict(model=_tiny_recognizer())


def _read_proposals():
    from textvision.spotting import read

    return read, (_image(), _tiny_recognizer()), dict(proposals=np.array([[2, 2, 20, 12], [25, 20, 38, 30]],
                                                                        np.float32), min_confidence=0.0)


def _ctc():
    from textvision.spotting import ctc_greedy_decode

    return ctc_greedy_decode, (RNG.random((2, 5, 3)).astype(np.float32), "ab"), dict(lengths=np.array([2, 5]))


def _merge_words():
    from textvision.spotting import merge_words

    return merge_words, (_quads(), ["a", "a", "b"], np.array([0.5, 0.6, 0.7], np.float32)), {}


def _boxes_to_quads():
    from textvision.spotting import boxes_to_quads

    return boxes_to_quads, (np.array([[1, 2, 5, 6]], np.float32),), {}


CASES = {
    "ops.mser": _mser, "ops.points_to_csr": _csr, "ops.region_mean": _region_mean, "ops.box_mean": _box_mean,
    "ops.box_mean[float boxes]": _box_mean_float, "ops.polygon_iou": _polygon_iou,
    "ops.polygon_nms": _polygon_nms, "ops.lanms": _lanms,
    "proposals.TextProposals": _proposals,
    "proposals.heatmap_evidence": _evidence, "proposals.meaningfulness": _meaningfulness,
    "proposals.Ranker": _ranker, "proposals.euclidean_mst": _mst, "proposals.single_linkage": _linkage,
    "proposals.fcn_heatmap": _fcn_heatmap, "proposals.propose": _propose,
    "proposals.propose[heatmap]": _propose_heatmap,
    "text_fcn.segment": _segment, "text_fcn.segment[tiled]": _segment_tiled,
    "text_fcn.segment[tensor]": _segment_tensor, "text_fcn.segment[float]": _segment_float,
    "text_fcn.segment_batch": _segment_batch, "_validate.image_rgb": _as_rgb,
    "text_fcn.text_coverage": _coverage,
    "style.blend": _blend, "style.stylize": _stylize, "style.stylize[weights]": _stylize_weights,
    "style.stylize[distilled]": _stylize_distilled, "style.stylize_batch": _stylize_batch,
    "style.two_stage": _two_stage, "style.image_to_tensor": _image_to_tensor,
    "style.tensor_to_image": _tensor_to_image, "style.gram_matrix": _gram, "style.masked_gram": _masked_gram,
    "style.total_variation": _tv,
    "augment.SelectiveTextStyle": _selective_style,
    "east.decode": _east_decode, "east.detect": _east_detect, "east.detect_batch": _east_detect_batch,
    "east.targets": _east_targets, "east.targets[instances]": _east_targets_instances,
    "east.EASTLoss": _east_loss,
    "eval.icdar2015": _icdar2015, "eval.deteval_icdar2013": _deteval, "eval.polygon_iou_matrix": _iou_matrix,
    "eval.first_hit_rank": _first_hit, "eval.detection_rate": _detection_rate,
    "eval.text_map_scores": _text_map_scores, "eval.average_precision": _average_precision,
    "eval.pixel_scores": _pixel_scores,
    "eval.icdar2015_end_to_end": _e2e, "eval.first_read_rank": _first_read, "eval.end_to_end_rate": _e2e_rate,
    "spotting.word_crops": _word_crops, "spotting.word_crops[boxes]": _word_crops_boxes,
    "spotting.fit_crop": _fit_crop, "spotting.recognize_crops": _recognize_crops, "spotting.recognize": _recognize,
    "spotting.read": _read_proposals, "spotting.ctc_greedy_decode": _ctc, "spotting.merge_words": _merge_words,
    "spotting.boxes_to_quads": _boxes_to_quads,
    "data.instances_to_masks": _masks, "data.masks.rasterize_quads": _rasterize,
    "data.order_clockwise": _order, "data.box_to_quad": _box_to_quad, "data.quads_of": _quads_of,
    "data.boxes_of": _boxes_of, "data.write_icdar2015": _write_icdar2015,
    "data.write_icdar2013": _write_icdar2013, "data.collate": _collate,
}
NEEDS_TMP = {"data.write_icdar2015", "data.write_icdar2013"}


# torch.from_numpy / as_tensor on a read-only input shares its memory and warns: the library copies first
@pytest.mark.filterwarnings("error:The given NumPy array is not writable")
@pytest.mark.parametrize("name", sorted(CASES))
def test_inputs_unmodified(name, tmp_path):
    torch.set_num_threads(1)
    fn, args, kwargs = CASES[name](tmp_path) if name in NEEDS_TMP else CASES[name]()
    _call_frozen(fn, args, kwargs)


# ------------------------------------------------------------------------------------------------
# Quads and boxes in every layout a caller may hand over. The cases above pass single, clockwise,
# float32, C-contiguous quads; a function may take another branch for batches that mix clockwise and
# counter-clockwise quads (order_clockwise re-orders those in place on a copy), for float64 (no
# conversion copy is made, so the caller's own array travels down) or for strided views.


def _strided(a):
    """The same values as a non-contiguous view (every other element of a wider buffer)."""
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    big[..., ::2] = a
    view = big[..., ::2]
    assert not view.flags.c_contiguous and np.array_equal(view, a)
    return view


def _mixed_quads(dtype=np.float32):
    """[3, 4, 2]: clockwise, counter-clockwise (same first point), clockwise."""
    q = _quads().astype(dtype)
    q[1] = q[1][[0, 3, 2, 1]]
    return q


QUAD_KINDS = {
    "ccw": lambda: _mixed_quads(),
    "ccw-float64": lambda: _mixed_quads(np.float64),
    "ccw-noncontiguous": lambda: _strided(_mixed_quads()),
    "ccw-float64-noncontiguous": lambda: _strided(_mixed_quads(np.float64)),
}


def _quad_cases(tmp_path):
    from textvision import ops
    from textvision.data import TextInstance, boxes_of, instances_to_masks, order_clockwise, quads_of
    from textvision.data import write_icdar2015 as w15
    from textvision.data.masks import rasterize_quads
    from textvision.east import targets
    from textvision.eval import deteval_icdar2013, icdar2015, icdar2015_end_to_end, polygon_iou_matrix, text_map_scores
    from textvision.spotting import merge_words, word_crops

    scores = np.array([0.9, 0.8, 0.7], np.float32)
    ign = np.array([False, False, True])

    def inst(q):
        # TextInstance keeps a float32 quad as given (no copy): the instances carry the caller's arrays.
        return [TextInstance(q[0], "ab"), TextInstance(q[1], "cd"), TextInstance(q[2], "###", ignore=True)]

    return {
        "ops.polygon_iou": lambda q: (ops.polygon_iou, (q, q), {}),
        "ops.polygon_nms": lambda q: (ops.polygon_nms, (q, scores), {}),
        "ops.lanms": lambda q: (ops.lanms, (q, scores), {}),
        "east.targets": lambda q: (targets, ((32, 40), q), dict(ignore=ign)),
        "east.targets[instances]": lambda q: (targets, ((32, 40), inst(q)), {}),
        "eval.icdar2015": lambda q: (icdar2015, ([(q, ign), q], [q, q[:2]]), {}),
        "eval.icdar2015[instances]": lambda q: (icdar2015, ([inst(q)], [q]), {}),
        "eval.deteval_icdar2013": lambda q: (deteval_icdar2013, ([(q, ign), q], [q, q[:2]]), {}),
        "eval.polygon_iou_matrix": lambda q: (polygon_iou_matrix, (q, q[:2]), {}),
        "eval.text_map_scores": lambda q: (text_map_scores, (_heat(), inst(q)), {}),
        "data.masks.rasterize_quads": lambda q: (rasterize_quads, (q, (32, 40)), {}),
        "data.instances_to_masks": lambda q: (instances_to_masks, (inst(q), (32, 40)), dict(scale=0.5)),
        "data.order_clockwise": lambda q: (order_clockwise, (q,), {}),
        "data.order_clockwise[single]": lambda q: (order_clockwise, (q[1],), {}),
        "data.quads_of": lambda q: (quads_of, (inst(q),), {}),
        "data.boxes_of": lambda q: (boxes_of, (inst(q),), {}),
        "data.write_icdar2015": lambda q: (w15, (tmp_path / "gt.txt", inst(q)), {}),
        "eval.icdar2015_end_to_end": lambda q: (icdar2015_end_to_end, ([inst(q)], [(q, ["ab", "x", "y"])]), {}),
        "spotting.word_crops": lambda q: (word_crops, (_image(), q), {}),
        "spotting.merge_words": lambda q: (merge_words, (q, ["a", "a", "b"], scores), {}),
    }


QUAD_CASE_NAMES = ["ops.polygon_iou", "ops.polygon_nms", "ops.lanms", "east.targets", "east.targets[instances]",
                   "eval.icdar2015", "eval.icdar2015[instances]", "eval.deteval_icdar2013",
                   "eval.polygon_iou_matrix", "eval.text_map_scores", "data.masks.rasterize_quads",
                   "data.instances_to_masks", "data.order_clockwise", "data.order_clockwise[single]",
                   "data.quads_of", "data.boxes_of", "data.write_icdar2015", "eval.icdar2015_end_to_end",
                   "spotting.word_crops", "spotting.merge_words"]


@pytest.mark.filterwarnings("error:The given NumPy array is not writable")
@pytest.mark.parametrize("kind", sorted(QUAD_KINDS))
@pytest.mark.parametrize("name", QUAD_CASE_NAMES)
def test_quad_inputs_unmodified(name, kind, tmp_path):
    """Batched, counter-clockwise, float64 and non-contiguous quads are left as the caller gave them."""
    fn, args, kwargs = _quad_cases(tmp_path)[name](QUAD_KINDS[kind]())
    _call_frozen(fn, args, kwargs)


def _boxes(dtype=np.int32):
    return np.array([[0, 0, 5, 5], [3, 4, 30, 20], [2, 2, 10, 8]], dtype)


BOX_KINDS = {
    "int64": lambda: _boxes(np.int64),
    "float64": lambda: _boxes(np.float64) + 0.25,
    "noncontiguous": lambda: _strided(_boxes()),
    "float32-noncontiguous": lambda: _strided(_boxes(np.float32) + 0.5),
    "fortran-order": lambda: np.asfortranarray(_boxes()),
}


def _box_cases():
    from textvision import ops
    from textvision.data import box_to_quad
    from textvision.eval import detection_rate, first_hit_rank, first_read_rank
    from textvision.proposals import heatmap_evidence
    from textvision.spotting import boxes_to_quads, word_crops

    return {
        "ops.box_mean": lambda b: (ops.box_mean, (_heat(), b), {}),
        "proposals.heatmap_evidence": lambda b: (heatmap_evidence, (_heat(), b), {}),
        "eval.first_hit_rank": lambda b: (first_hit_rank, (b, b[1:]), {}),
        "eval.detection_rate": lambda b: (detection_rate, (b, b[1:]), dict(ks=(1, None))),
        "data.box_to_quad": lambda b: (box_to_quad, (b[1],), {}),
        "eval.first_read_rank": lambda b: (first_read_rank, (b, ["ab", "", "x"], _instances()), {}),
        "spotting.word_crops[boxes]": lambda b: (word_crops, (_image(),), dict(boxes=b)),
        "spotting.boxes_to_quads": lambda b: (boxes_to_quads, (b,), {}),
    }


BOX_CASE_NAMES = ["ops.box_mean", "proposals.heatmap_evidence", "eval.first_hit_rank",
                  "eval.detection_rate", "data.box_to_quad", "eval.first_read_rank", "spotting.word_crops[boxes]",
                  "spotting.boxes_to_quads"]


@pytest.mark.filterwarnings("error:The given NumPy array is not writable")
@pytest.mark.parametrize("kind", sorted(BOX_KINDS))
@pytest.mark.parametrize("name", BOX_CASE_NAMES)
def test_box_inputs_unmodified(name, kind):
    """Integer, float64, strided and Fortran-order boxes are left as the caller gave them."""
    fn, args, kwargs = _box_cases()[name](BOX_KINDS[kind]())
    _call_frozen(fn, args, kwargs)


def test_layout_cases_cover_every_quad_and_box_taker(tmp_path):
    """Each function with a quad or box case above also meets the other layouts (same name here)."""
    assert sorted(_quad_cases(tmp_path)) == sorted(QUAD_CASE_NAMES)
    assert sorted(_box_cases()) == sorted(BOX_CASE_NAMES)
    takers = {"ops.polygon_iou", "ops.polygon_nms", "ops.lanms", "east.targets", "eval.icdar2015",
              "eval.deteval_icdar2013", "eval.polygon_iou_matrix", "eval.text_map_scores",
              "data.masks.rasterize_quads", "data.instances_to_masks", "data.order_clockwise", "data.quads_of",
              "data.boxes_of", "data.write_icdar2015", "data.write_icdar2013", "ops.box_mean",
              "proposals.heatmap_evidence", "eval.first_hit_rank", "eval.detection_rate",
              "data.box_to_quad", "eval.icdar2015_end_to_end", "eval.first_read_rank", "spotting.word_crops",
              "spotting.merge_words", "spotting.boxes_to_quads"}
    covered = {n.split("[")[0] for n in QUAD_CASE_NAMES + BOX_CASE_NAMES}
    assert takers - covered == {"data.write_icdar2013"}  # same code path as write_icdar2015 (instances out)
    assert takers <= {n.split("[")[0] for n in CASES}


def test_guard_catches_a_writer():
    """The guard itself: a function writing into its input fails it, through the flag or behind it."""
    def writes(a):
        a += 1

    with pytest.raises(ValueError, match="read-only"):
        _call_frozen(writes, (np.zeros(3),), {})

    def writes_behind_the_flag(a):
        b = np.ndarray(a.shape, a.dtype, buffer=memoryview(a.base if a.base is not None else a).cast("B"))
        b[0] = 7

    x = np.zeros(4, np.uint8)
    with pytest.raises((AssertionError, ValueError, TypeError)):
        _call_frozen(writes_behind_the_flag, (x,), {})

    def writes_tensor(t):
        t.add_(1)

    with pytest.raises(AssertionError, match="modified a tensor"):
        _call_frozen(writes_tensor, (torch.zeros(3),), {})


# Names in ``__all__`` that take no arrays (or only paths / configs / modules), with the reason.
NO_ARRAYS = {
    "ops": {"LanmsResult", "ExtensionMissingError", "built_with_cuda", "has_cuda", "has_ops", "MserRegions",
            "textproposals_params", "OPENCV_DEFAULTS", "PixelLists"},
    "proposals": {"Proposals", "PROPOSALS_FCN_MAX_SIDE", "DEFAULT_MIN_PROB", "PRESETS", "FEATURE_NAMES", "Dendrogram",
                  "SpanningTree"},
    "text_fcn": {"DEFAULT_MAX_SIDE", "DEFAULT_TILE"},
    # losses/configs/IO on paths; PerceptualLoss/VGGFeatures need VGG weights; the trainers take folders
    "style": {"save_style_model", "read_checkpoint", "PerceptualLoss", "VGGFeatures",
              "LossTerms", "StyleTrainConfig", "train_style", "load_style_images", "StyleImages", "DistillConfig", "distill",
              "distillation_loss"},
    # folders in, folders out; plan_styles takes names and a seed
    "augment": {"augment_dataset", "AugmentOptions", "AugmentResult", "plan_styles"},
    "east": {"EASTLossParts", "Detections", "EASTTrainConfig", "EASTTrainDataset", "train_east", "evaluate_east",
             "save_east", "StyledCopies", "EASTTargets"},
    # a result type; pools results; compares two strings
    "eval": {"TextMapScores", "pool_text_map_scores", "transcription_match", "PixelScores", "DetectionScores",
             "EndToEndScores", "ImageScores", "Match", "RecallAtK"},
    # result types; a word list; strings; a model loader; numbers
    "spotting": {"CTCDecoded", "Recognitions", "Word", "Lexicon", "LexiconMatch", "edit_distance", "as_recognizer",
                 "crop_width"},
    # readers take paths; the dataset classes take folders; render_scene takes a seed
    "data": {"TextInstance", "read_icdar2015", "read_icdar2013", "MalformedGroundTruth", "read_image",
             "read_coco_text", "write_coco_text", "CocoText", "IcdarDataset", "CocoTextDataset",
             "render_scene", "SynthScene", "SynthDataset", "TextMasks"},
}
# a case key names an exported function after the subpackage prefix; these name a non-exported one
ALIASES = {"data.masks.rasterize_quads"}


@pytest.mark.parametrize("pkg", sorted(NO_ARRAYS))
def test_every_public_name_is_classified(pkg):
    exported = set(importlib.import_module(f"textvision.{pkg}").__all__)
    covered = {k.split("[")[0].split(".", 1)[1] for k in CASES if k.startswith(pkg + ".") and k not in ALIASES}
    missing = exported - covered - NO_ARRAYS[pkg]
    assert not missing, f"textvision.{pkg} exports {sorted(missing)}: add an inputs-unmodified case or list it"
    stale = (covered | NO_ARRAYS[pkg]) - exported
    assert not stale, f"textvision.{pkg} no longer exports {sorted(stale)}"
