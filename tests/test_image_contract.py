"""One image contract for every pipeline (``textvision._validate.image_rgb``).

Every pipeline entry point accepts the same images (uint8 / uint16 / float [0, 1]; grey, RGB, RGBA; NumPy
or torch), gives the same result for the same pixels whatever their encoding, and refuses the same bad
inputs with the same exception type and the same message (only the function's name in front differs).
Tiny untrained networks and tiny images keep the whole file to seconds.
"""
import numpy as np
import pytest
import torch

from textvision import _validate

H, W = 24, 32


def _rgb():
    """uint8 RGB with dark strokes on a light background (MSER finds regions; proposals exist)."""
    import cv2

    rng = np.random.default_rng(0)
    img = np.full((H, W, 3), 200, np.uint8)
    cv2.putText(img, "ab", (3, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (20, 20, 20), 2)
    img[..., 1] = np.clip(img[..., 1].astype(int) + rng.integers(-5, 5, (H, W)), 0, 255).astype(np.uint8)
    return img


# ------------------------------------------------------------------------------------------ tiny models
@pytest.fixture(scope="module")
def nets():
    from textvision.models.east import EAST
    from textvision.models.recognizer import Recognizer
    from textvision.models.style import StyleNet
    from textvision.models.text_fcn import TextFCN

    torch.manual_seed(0)
    return {"fcn": TextFCN("lite", widths=(4, 4, 4, 4, 4)).eval(), "east": EAST("tiny").eval(),
            "style": StyleNet(2, ["a", "b"], base_channels=4, num_res_blocks=1).eval(),
            "rec": Recognizer(hidden=8, channels=16).eval()}


# name -> (who / name in the error message, call(image, nets) -> comparable result)
def _segment(img, n):
    from textvision.text_fcn import segment

    return segment(img, model=n["fcn"], max_side=None)


def _segment_batch(img, n):
    from textvision.text_fcn import segment_batch

    return segment_batch([img], model=n["fcn"], max_side=None)[0]


def _propose(img, n):
    from textvision.proposals import propose

    return propose(img, model=n["fcn"], ranker=None, max_side=None).boxes


def _text_proposals(img, n):
    from textvision.proposals import TextProposals

    return TextProposals()(img).boxes


def _detect(img, n):
    from textvision.east import detect

    return detect(img, n["east"], max_side=64, score_threshold=0.0).quads


def _detect_batch(img, n):
    from textvision.east import detect_batch

    return detect_batch([img], n["east"], max_side=64, score_threshold=0.0)[0].quads


def _read(img, n):
    from textvision.spotting import read

    words = read(img, n["rec"], proposals=np.array([[0, 0, W, H]], np.float32), min_confidence=0.0)
    return [(w.text, round(w.recognition_confidence, 5)) for w in words]


def _stylize(img, n):
    from textvision.style import stylize

    return stylize(img, n["style"], "a", mode="distilled")


def _stylize_batch(img, n):
    from textvision.style import stylize_batch

    return stylize_batch([img], n["style"], "a", mode="distilled")[0]


def _selective_text_style(img, n):
    from textvision.augment import SelectiveTextStyle

    t = SelectiveTextStyle(n["style"], mode="distilled", p=1.0)
    return t.apply(img, style="a")  # in the input's own dtype and channels (albumentations' rule)


def _in_kind(rgb, image):
    """What SelectiveTextStyle returns for ``image`` when it restyles it into uint8 RGB ``rgb``."""
    import cv2

    src = _np(image)
    out = rgb
    if src.ndim == 2 or src.shape[2] == 1:
        out = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).reshape(src.shape)
    if src.dtype == np.uint16:
        out = out.astype(np.uint16) * 257
    elif src.dtype.kind == "f":
        out = out.astype(src.dtype) / 255
    if src.ndim == 3 and src.shape[2] == 4:
        out = np.dstack([out, src[:, :, 3]])
    return out


PIPELINES = {
    "segment": (("segment", "image"), _segment),
    "segment_batch": (("segment_batch", "images[0]"), _segment_batch),
    "propose": (("propose", "image"), _propose),
    "TextProposals": (("TextProposals", "image"), _text_proposals),
    "east.detect": (("east.detect", "image"), _detect),
    "east.detect_batch": (("east.detect_batch", "images[0]"), _detect_batch),
    "read": (("read", "image"), _read),
    "stylize": (("stylize", "image"), _stylize),
    "stylize_batch": (("stylize_batch", "images[0]"), _stylize_batch),
    "SelectiveTextStyle": (("SelectiveTextStyle", "image"), _selective_text_style),
}


def _np(image):
    return image.numpy() if isinstance(image, torch.Tensor) else image


def _same(a, b):
    if isinstance(a, list):
        assert a == b
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# ------------------------------------------------------------------------------------- the accepted set
def _encodings():
    """The same pixels, every accepted way: name -> (image, the uint8 RGB it means)."""
    rgb = _rgb()
    grey = rgb[:, :, 1].copy()
    grey_rgb = np.repeat(grey[:, :, None], 3, axis=2)
    alpha = np.dstack([rgb, np.arange(H * W).reshape(H, W).astype(np.uint8)])
    return {
        "uint8 RGB": (rgb, rgb),
        "uint8 RGB, non-contiguous view": (np.ascontiguousarray(rgb[:, ::-1])[:, ::-1], rgb),
        "uint8 grey HxW": (grey, grey_rgb),
        "uint8 grey HxWx1": (grey[:, :, None], grey_rgb),
        "uint8 RGBA": (alpha, rgb),
        "uint16 RGB": (rgb.astype(np.uint16) * 257, rgb),  # the exact 8 -> 16 bit expansion
        "float32 [0, 1]": (rgb.astype(np.float32) / 255, rgb),
        "float64 [0, 1]": (rgb / 255.0, rgb),
        "float32 grey [0, 1]": (grey.astype(np.float32) / 255, grey_rgb),
        "torch uint8 HxWx3": (torch.from_numpy(rgb.copy()), rgb),
        "torch float32 [0, 1]": (torch.from_numpy(rgb.astype(np.float32) / 255), rgb),
    }


ENCODINGS = _encodings()


def test_the_validator_itself():
    for name, (image, rgb) in ENCODINGS.items():
        out = _validate.image_rgb(image)
        assert out.dtype == np.uint8 and out.shape == (H, W, 3) and out.flags.c_contiguous, name
        np.testing.assert_array_equal(out, rgb, err_msg=name)
    rgb = ENCODINGS["uint8 RGB"][0]
    assert _validate.image_rgb(rgb) is rgb  # fits already: no copy
    # Rounding at the ends of the ranges: 1.0 -> 255, 65535 -> 255, 0.5/255 rounds up.
    assert _validate.image_rgb(np.array([[1.0, 0.0, 0.5 / 255]])).tolist() == [[[255] * 3, [0] * 3, [1] * 3]]
    assert _validate.image_rgb(np.array([[65535, 0, 128]], np.uint16)).tolist() == [[[255] * 3, [0] * 3, [0] * 3]]


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_every_pipeline_accepts_the_same_images_with_the_same_meaning(pipeline, nets):
    _, call = PIPELINES[pipeline]
    reference = {}
    for name, (image, rgb) in ENCODINGS.items():
        before = _np(image).copy()
        got = call(image, nets)
        np.testing.assert_array_equal(_np(image), before, err_msg=f"{pipeline} modified the {name} input")
        key = rgb.tobytes()
        if key not in reference:
            reference[key] = call(rgb, nets)
        want = reference[key]
        if pipeline == "SelectiveTextStyle":
            assert got.dtype == _np(image).dtype and got.shape == tuple(image.shape), name
            want = _in_kind(want, image)
        try:
            _same(got, want)
        except AssertionError as exc:
            raise AssertionError(f"{pipeline}: the {name} image gives another result than its uint8 RGB") from exc


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_every_pipeline_takes_the_smallest_image(pipeline, nets):
    _, call = PIPELINES[pipeline]
    for shape in ((1, 1, 3), (2, 3)):
        call(np.full(shape, 128, np.uint8), nets)  # no error: 1x1 is the contract's smallest image


# --------------------------------------------------------------------------------------- the refused set
_nan = np.full((H, W, 3), 0.5, np.float32)
_nan[3, 4, 1] = np.nan

# (case, bad image, exception type, message after "WHO: NAME ")
BAD = [
    ("batch of images", np.zeros((2, H, W, 3), np.uint8), ValueError,
     f"must be HxWx3 RGB (or HxW / HxWx1 grey, HxWx4 RGBA), got shape (2, {H}, {W}, 3)"),
    ("1-D array", np.zeros(H, np.uint8), ValueError,
     f"must be HxWx3 RGB (or HxW / HxWx1 grey, HxWx4 RGBA), got shape ({H},)"),
    ("two channels", np.zeros((H, W, 2), np.uint8), ValueError,
     f"must be HxWx3 RGB (or HxW / HxWx1 grey, HxWx4 RGBA), got shape ({H}, {W}, 2)"),
    ("CHW tensor", torch.zeros(3, H, W), ValueError,
     f"must be HxWx3 RGB (or HxW / HxWx1 grey, HxWx4 RGBA), got shape (3, {H}, {W})"),
    ("empty rows", np.zeros((0, W, 3), np.uint8), ValueError, f"must be at least 1x1 pixels, got shape (0, {W}, 3)"),
    ("empty grey", np.zeros((H, 0), np.uint8), ValueError, f"must be at least 1x1 pixels, got shape ({H}, 0)"),
    ("NaN float", _nan, ValueError,
     f"must hold finite values in [0, 1], got range [0.5, 0.5] and NaN/inf values (float32, shape ({H}, {W}, 3))"),
    ("0..255 float", np.full((H, W, 3), 255.0), ValueError,
     f"must hold finite values in [0, 1], got range [255.0, 255.0] (float64, shape ({H}, {W}, 3)); divide a "
     f"0..255 float image by 255"),
    ("negative float", np.full((H, W), -0.25, np.float32), ValueError,
     f"must hold finite values in [0, 1], got range [-0.25, -0.25] (float32, shape ({H}, {W}))"),
    ("bool", np.zeros((H, W, 3), bool), TypeError,
     "must be uint8, uint16 or float32/float64 in [0, 1], got dtype bool"),
    ("int64", np.zeros((H, W, 3), np.int64), TypeError,
     "must be uint8, uint16 or float32/float64 in [0, 1], got dtype int64"),
    ("float16", np.zeros((H, W, 3), np.float16), TypeError,
     "must be uint8, uint16 or float32/float64 in [0, 1], got dtype float16"),
    ("int32 tensor", torch.zeros(H, W, 3, dtype=torch.int32), TypeError,
     "must be uint8, uint16 or float32/float64 in [0, 1], got dtype int32"),
    ("list", [[1, 2], [3, 4]], TypeError, "must be a NumPy array (or torch tensor), got list"),
]


def _message(who, name, rest):
    # Range messages name the argument as "float image"; the others as "image".
    return f"{who}: float {name} {rest}" if rest.startswith("must hold finite") else f"{who}: {name} {rest}"


@pytest.mark.parametrize("case, bad, exc, rest", BAD, ids=[b[0] for b in BAD])
def test_the_validator_refuses(case, bad, exc, rest):
    with pytest.raises(exc) as e:
        _validate.image_rgb(bad, "image", "f")
    assert str(e.value) == _message("f", "image", rest)


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_every_pipeline_refuses_the_same_images_with_the_same_message(pipeline, nets):
    (who, name), call = PIPELINES[pipeline]
    for case, bad, exc, rest in BAD:
        with pytest.raises((TypeError, ValueError)) as e:
            call(bad, nets)
        assert type(e.value) is exc, f"{pipeline}, {case}: {type(e.value).__name__}: {e.value}"
        assert str(e.value) == _message(who, name, rest), f"{pipeline}, {case}"
