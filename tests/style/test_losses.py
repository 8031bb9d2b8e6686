"""Gram matrix, total variation and the perceptual loss against direct NumPy computations."""
import numpy as np
import pytest
import torch

from textvision.models.vgg import VGG16Features, vgg16
from textvision.style.losses import PerceptualLoss, gram_matrix, total_variation

LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


def np_gram(f):
    b, c, h, w = f.shape
    f = f.reshape(b, c, h * w).astype(np.float64)
    return np.einsum("bci,bdi->bcd", f, f) / (h * w)


def test_gram_against_numpy(rng):
    f = rng.normal(size=(2, 5, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(gram_matrix(torch.from_numpy(f)).numpy(), np_gram(f), rtol=1e-5, atol=1e-5)
    # Hand-worked: one channel [1, 2, 3, 4] -> sum of squares / 4 = 7.5.
    assert float(gram_matrix(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))) == pytest.approx(7.5)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        gram_matrix(torch.zeros(3, 4, 5))


def test_total_variation_against_numpy(rng):
    x = rng.random((2, 3, 5, 6)).astype(np.float32)
    ref = np.mean(np.diff(x, axis=3) ** 2) + np.mean(np.diff(x, axis=2) ** 2)
    assert float(total_variation(torch.from_numpy(x))) == pytest.approx(ref, rel=1e-5)


@pytest.fixture(scope="module")
def loss_vgg():
    torch.manual_seed(0)
    return vgg16(with_classifier=False)


def test_perceptual_loss_against_numpy(loss_vgg):
    torch.manual_seed(1)
    pl = PerceptualLoss(loss_vgg, content_weight=2.0, style_weight=30.0, tv_weight=0.5,
                        layer_weights=(1.0, 0.5, 2.0, 1.0))
    styles = [torch.rand(3, 24, 40), torch.rand(3, 32, 32)]
    pl.set_style_images(styles)
    content = torch.rand(2, 3, 32, 32)
    out = torch.rand(2, 3, 32, 32)
    weights = torch.tensor([[1.0, 0.0], [0.3, 0.7]])
    terms = pl(out, content, weights)

    # The reference uses the same (frozen) VGG activations and does the rest in NumPy.
    feats = VGG16Features(loss_vgg, LAYERS)
    with torch.no_grad():
        fo = {k: v.numpy() for k, v in feats(out).items()}
        fc = {k: v.numpy() for k, v in feats(content).items()}
        fs = [{k: v.numpy() for k, v in feats(s[None]).items()} for s in styles]
    content_ref = np.mean((fo["relu3_3"] - fc["relu3_3"]) ** 2)
    style_ref = 0.0
    for lw, name in zip((1.0, 0.5, 2.0, 1.0), LAYERS):
        targets = np.concatenate([np_gram(f[name]) for f in fs])  # (S, C, C)
        mixed = np.einsum("bs,scd->bcd", weights.numpy().astype(np.float64), targets)
        style_ref += lw * np.mean((np_gram(fo[name]) - mixed) ** 2)
    o = out.numpy()
    tv_ref = np.mean(np.diff(o, axis=3) ** 2) + np.mean(np.diff(o, axis=2) ** 2)
    assert float(terms.content) == pytest.approx(content_ref, rel=1e-4)
    assert float(terms.style) == pytest.approx(style_ref, rel=1e-4)
    assert float(terms.tv) == pytest.approx(tv_ref, rel=1e-4)
    assert float(terms.total) == pytest.approx(2.0 * content_ref + 30.0 * style_ref + 0.5 * tv_ref, rel=1e-4)
    # Gradients reach the output, not the loss network.
    out.requires_grad_(True)
    pl(out, content, weights).total.backward()
    assert out.grad is not None and out.grad.abs().sum() > 0
    assert all(p.grad is None for p in pl.parameters())


def test_perceptual_loss_exceptions(loss_vgg):
    pl = PerceptualLoss(loss_vgg)
    x = torch.rand(1, 3, 16, 16)
    with pytest.raises(RuntimeError, match="set_style_images"):
        pl(x, x, torch.ones(1, 1))
    pl.set_style_images([torch.rand(3, 16, 16)])
    with pytest.raises(ValueError, match=r"\(B, 1\)"):
        pl(x, x, torch.ones(1, 2))
    with pytest.raises(ValueError, match="differ"):
        pl(x, torch.rand(1, 3, 8, 8), torch.ones(1, 1))
    with pytest.raises(ValueError, match="layer_weights"):
        PerceptualLoss(loss_vgg, layer_weights=(1.0,))
    with pytest.raises(ValueError, match="unknown VGG16 layer"):
        PerceptualLoss(loss_vgg, style_layers=("relu9_9",))


def test_masked_gram_against_numpy(rng):
    from textvision.style.losses import masked_gram

    f = rng.normal(size=(2, 4, 6, 5)).astype(np.float32)
    m = (rng.random((2, 6, 5)) > 0.5).astype(np.float32)
    ref = np.einsum("bci,bdi->bcd", f.reshape(2, 4, -1) * m.reshape(2, 1, -1), f.reshape(2, 4, -1))
    ref /= m.reshape(2, -1).sum(1)[:, None, None]
    np.testing.assert_allclose(masked_gram(torch.from_numpy(f), torch.from_numpy(m)).numpy(), ref, rtol=1e-5, atol=1e-5)
    # An all-ones mask is the plain Gram; a mask at 2x resolution is area-averaged onto the features.
    ones = torch.ones(2, 1, 6, 5)
    torch.testing.assert_close(masked_gram(torch.from_numpy(f), ones), gram_matrix(torch.from_numpy(f)))
    torch.testing.assert_close(masked_gram(torch.from_numpy(f), torch.ones(2, 12, 10)), gram_matrix(torch.from_numpy(f)))
    with pytest.raises(ValueError, match="mask must be"):
        masked_gram(torch.from_numpy(f), torch.ones(3, 1, 6, 5))


def test_masked_style_distance(loss_vgg):
    pl = PerceptualLoss(loss_vgg)
    s0, s1 = torch.rand(3, 24, 32), torch.rand(3, 24, 32) * 0.5
    pl.set_style_images([s0, s1])
    imgs = torch.stack([s0, s1])
    ones = torch.ones(2, 1, 24, 32)
    d = pl.masked_style_distance(imgs, ones, torch.eye(2))
    assert d.shape == (2,) and float(d.max()) < 1e-10  # each style image is exactly its own style
    crossed = pl.masked_style_distance(imgs, ones, torch.eye(2)[[1, 0]])
    assert float(crossed.min()) > 1e-3

