"""SelectiveTextStyle inside albumentations: targets untouched, seeding, serialisation, agreement with stylize."""
import json
import pickle

import albumentations as A
import numpy as np
import pytest

from textvision.augment import SelectiveTextStyle
from textvision.models.style import style_net
from textvision.models.text_fcn import text_fcn
from textvision.style.inference import stylize
from textvision.text_fcn import segment

from .conftest import STYLES, _draw_words


@pytest.fixture
def scene():
    img, words = _draw_words(np.random.default_rng(0), 48, 96, 3)
    boxes = np.array([[q[0][0], q[0][1], q[2][0], q[2][1]] for q, _ in words], np.float32)
    return img, boxes, [w for _, w in words]


def test_compose_with_bboxes_keypoints_and_mask(scene, distilled_ckpt):
    img, boxes, labels = scene
    keypoints = np.array([[5.0, 6.0], [40.5, 20.25], [90.0, 47.0]], np.float32)
    mask = (np.arange(48 * 96).reshape(48, 96) % 3).astype(np.uint8)
    params = dict(bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]),
                  keypoint_params=A.KeypointParams(format="xy"), seed=0)
    data = dict(image=img, bboxes=boxes, labels=labels, keypoints=keypoints, mask=mask)
    only = A.Compose([SelectiveTextStyle(str(distilled_ckpt), p=1.0), A.NoOp()], **params)(**data)
    assert only["image"].shape == img.shape and only["image"].dtype == np.uint8
    assert not np.array_equal(only["image"], img)
    np.testing.assert_array_equal(np.asarray(only["bboxes"], np.float32), boxes)
    np.testing.assert_array_equal(np.asarray(only["keypoints"], np.float32), keypoints)
    np.testing.assert_array_equal(only["mask"], mask)
    assert list(only["labels"]) == labels
    # Followed by a flip: the targets are exactly what the flip alone makes of them.
    styled = A.Compose([SelectiveTextStyle(str(distilled_ckpt), p=1.0), A.HorizontalFlip(p=1.0)], **params)(**data)
    flipped = A.Compose([A.HorizontalFlip(p=1.0)], **params)(**data)
    np.testing.assert_array_equal(styled["mask"], flipped["mask"])
    for key in ("bboxes", "keypoints"):  # albumentations' own normalise/denormalise rounding: ~1e-6
        np.testing.assert_allclose(np.asarray(styled[key]), np.asarray(flipped[key]), atol=1e-4)
    np.testing.assert_array_equal(styled["image"], only["image"][:, ::-1])


def test_agrees_with_stylize(scene, distilled_ckpt, style_ckpt, fcn_ckpt):
    img = scene[0]
    t = SelectiveTextStyle(str(distilled_ckpt), p=1.0)
    np.testing.assert_array_equal(t.apply(img, style="neon"),
                                  stylize(img, style_net(weights=distilled_ckpt), "neon"))
    # Two-stage with a TextFCN and a threshold: the map decides, and the background is exact.
    t2 = SelectiveTextStyle(str(style_ckpt), fcn=str(fcn_ckpt), threshold=0.5, p=1.0)
    heat = segment(img, model=text_fcn(weights=fcn_ckpt))
    ref = stylize(img, style_net(weights=style_ckpt), "stone", heatmap=heat, threshold=0.5)
    out = t2.apply(img, style="stone")
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(out[heat < 0.5], img[heat < 0.5])


def test_seeded_by_albumentations_rng(scene, distilled_ckpt):
    img = scene[0]

    def run(seed):
        t = SelectiveTextStyle(str(distilled_ckpt), styles=["ink", "neon"], p=0.5)
        aug = A.Compose([t], seed=seed)
        outs, styles = [], []
        for _ in range(8):
            outs.append(aug(image=img)["image"])
            styles.append(t.get_applied_params().get("style"))
        return outs, styles

    a, sa = run(3)
    b, sb = run(3)
    assert sa == sb and all(np.array_equal(x, y) for x, y in zip(a, b))
    assert None in sa and {"ink", "neon"} <= set(sa)  # p=0.5: some skipped; both styles drawn
    assert "stone" not in sa
    for out, style in zip(a, sa):
        assert np.array_equal(out, img) == (style is None)
    _, sc = run(4)
    assert sc != sa


def test_serialisation_round_trip(scene, style_ckpt, fcn_ckpt, tmp_path):
    img = scene[0]
    t = SelectiveTextStyle(str(style_ckpt), styles=["ink", "stone"], fcn=str(fcn_ckpt), threshold=0.4, p=0.7)
    aug = A.Compose([t, A.HorizontalFlip(p=0.5)], seed=11)
    d = A.to_dict(aug)
    back = A.from_dict(json.loads(json.dumps(d)))
    t2 = back.transforms[0]
    assert isinstance(t2, SelectiveTextStyle)
    assert (t2.model, t2.styles, t2.fcn, t2.threshold, t2.p, t2.mode) == (str(style_ckpt), ["ink", "stone"],
                                                                          str(fcn_ckpt), 0.4, 0.7, None)
    A.save(aug, str(tmp_path / "pipe.json"))
    assert A.to_dict(A.load(str(tmp_path / "pipe.json"))) == d
    back.set_random_seed(11)
    for _ in range(3):
        np.testing.assert_array_equal(aug(image=img)["image"], back(image=img)["image"])
    # A transform built from a model object cannot name its checkpoint.
    with pytest.raises(ValueError, match="checkpoint paths"):
        A.to_dict(A.Compose([SelectiveTextStyle(style_net(weights=style_ckpt))]))


def test_pickles_without_the_network(scene, distilled_ckpt):
    img = scene[0]
    t = SelectiveTextStyle(str(distilled_ckpt), p=1.0)
    out = t.apply(img, style="ink")
    blob = pickle.dumps(t)
    assert t._net is not None and b"state_dict" not in blob and len(blob) < 20000
    np.testing.assert_array_equal(pickle.loads(blob).apply(img, style="ink"), out)


def test_grey_and_float_images(scene, distilled_ckpt):
    img = scene[0]
    t = SelectiveTextStyle(str(distilled_ckpt), p=1.0)
    grey = img.mean(axis=2).astype(np.uint8)
    assert t.apply(grey, style="ink").shape == grey.shape
    assert t.apply(grey[:, :, None], style="ink").shape == (48, 96, 1)
    f = img.astype(np.float32) / 255
    out = t.apply(f, style="ink")
    assert out.dtype == np.float32 and out.shape == img.shape and 0 <= out.min() and out.max() <= 1
    np.testing.assert_allclose(out, t.apply(img, style="ink").astype(np.float32) / 255, atol=1e-6)
    # RGBA (the one image contract) comes back RGBA: restyled colour, its own alpha.
    alpha = np.arange(img.shape[0] * img.shape[1]).reshape(img.shape[:2]).astype(np.uint8)
    out = t.apply(np.dstack([img, alpha]), style="ink")
    assert out.shape == img.shape[:2] + (4,) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 3], alpha)
    np.testing.assert_array_equal(out[..., :3], t.apply(img, style="ink"))
    u16 = t.apply(img.astype(np.uint16) * 257, style="ink")
    assert u16.dtype == np.uint16
    np.testing.assert_array_equal(u16, t.apply(img, style="ink").astype(np.uint16) * 257)
    with pytest.raises(ValueError, match=r"SelectiveTextStyle: image must be HxWx3 .*\(8, 8, 2\)"):
        t.apply(np.zeros((8, 8, 2), np.uint8), style="ink")
    with pytest.raises(ValueError, match=r"SelectiveTextStyle: float image must hold finite values in \[0, 1\]"):
        t.apply(f * 255, style="ink")
    with pytest.raises(TypeError, match="dtype"):
        t.apply(np.zeros((8, 8, 3), np.int32), style="ink")


def test_bad_arguments(distilled_ckpt):
    with pytest.raises(ValueError, match="unknown style"):
        SelectiveTextStyle(str(distilled_ckpt), styles=["nope"]).get_params()
    with pytest.raises(ValueError, match="mode"):
        SelectiveTextStyle(str(distilled_ckpt), mode="fancy")
    with pytest.raises(ValueError, match="two-stage"):
        SelectiveTextStyle(str(distilled_ckpt), mode="distilled", threshold=0.5)
    with pytest.raises(TypeError, match="checkpoint path"):
        SelectiveTextStyle(42)
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        SelectiveTextStyle("nowhere.pt")
    assert SelectiveTextStyle(str(distilled_ckpt)).style_pool == tuple(STYLES)


@pytest.mark.cuda
def test_cuda_matches_cpu_closely(scene, distilled_ckpt, conv_runs):
    img = scene[0]
    cpu = SelectiveTextStyle(str(distilled_ckpt), p=1.0).apply(img, style="ink")
    conv_runs.clear()
    gpu = SelectiveTextStyle(str(distilled_ckpt), device="cuda", p=1.0).apply(img, style="ink")
    assert conv_runs and {d for d, _ in conv_runs} == {"cuda"}  # not the CPU path again
    assert gpu.shape == cpu.shape and np.abs(gpu.astype(int) - cpu.astype(int)).max() <= 2
