"""StyleNet: shapes, conditional instance norm against NumPy, style selection and mixing, bad input."""
import numpy as np
import pytest
import torch

from textvision.models.style import ConditionalInstanceNorm2d, StyleNet


def _net(num_styles=3, seed=0, **kw):
    torch.manual_seed(seed)
    net = StyleNet(num_styles, [f"s{i}" for i in range(num_styles)], base_channels=4, num_res_blocks=1, **kw)
    # Distinct per-style affines, otherwise every style gives the same output and mixing tests prove nothing.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, ConditionalInstanceNorm2d):
                m.gamma.uniform_(0.5, 1.5)
                m.beta.uniform_(-0.5, 0.5)
    return net.eval()


@pytest.mark.parametrize("hw", [(1, 1), (3, 5), (17, 31), (33, 20), (64, 48)])
def test_smoke_shapes_odd_sizes(hw):
    net = _net()
    x = torch.rand(2, 3, *hw)
    with torch.no_grad():
        y = net(x, 1)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert float(y.min()) > 0 and float(y.max()) < 1


def test_cin_against_numpy(rng):
    cin = ConditionalInstanceNorm2d(5, 3)
    with torch.no_grad():
        cin.gamma.copy_(torch.from_numpy(rng.normal(size=(3, 5)).astype(np.float32)))
        cin.beta.copy_(torch.from_numpy(rng.normal(size=(3, 5)).astype(np.float32)))
    x = rng.normal(size=(2, 5, 6, 7)).astype(np.float32)
    w = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]], np.float32)
    got = cin(torch.from_numpy(x), torch.from_numpy(w)).detach().numpy()
    mu = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    g = (w @ cin.gamma.detach().numpy())[:, :, None, None]
    b = (w @ cin.beta.detach().numpy())[:, :, None, None]
    np.testing.assert_allclose(got, (x - mu) / np.sqrt(var + 1e-5) * g + b, rtol=1e-4, atol=1e-4)


def test_gradcheck_cin():
    torch.manual_seed(0)
    cin = ConditionalInstanceNorm2d(3, 2).double()
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[0.3, 0.7], [1.0, 0.0]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: cin(a, b), (x, w))


def test_one_hot_mix_reproduces_single_style():
    net = _net()
    x = torch.rand(2, 3, 20, 24)
    single = net(x, "s1")
    for spec in (1, [0.0, 1.0, 0.0], {"s1": 1.0}, {1: 1.0}, np.array([0, 1, 0], np.float32),
                 torch.tensor([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])):
        torch.testing.assert_close(net(x, spec), single, rtol=0, atol=0)
    assert (net(x, "s0") - single).abs().max() > 1e-3  # styles really differ


def test_mix_is_convex_combination_of_affines():
    net = _net()
    x = torch.rand(1, 3, 16, 16)
    mixed = net(x, {"s0": 0.25, "s2": 0.75})
    # Same network with the mix baked into style 0's gamma/beta.
    baked = _net()
    with torch.no_grad():
        for m in baked.modules():
            if isinstance(m, ConditionalInstanceNorm2d):
                m.gamma[0] = 0.25 * m.gamma[0] + 0.75 * m.gamma[2]
                m.beta[0] = 0.25 * m.beta[0] + 0.75 * m.beta[2]
    torch.testing.assert_close(mixed, baked(x, 0), rtol=1e-5, atol=1e-6)


def test_per_sample_styles_match_single_runs():
    net = _net()
    x = torch.rand(3, 3, 12, 20)
    batched = net(x, ["s2", 0, "s1"])
    torch.testing.assert_close(batched, net(x, torch.tensor([2, 0, 1])))
    for i, s in enumerate([2, 0, 1]):
        torch.testing.assert_close(batched[i:i + 1], net(x[i:i + 1], s), rtol=1e-5, atol=1e-6)


def test_exception_bad_styles():
    net = _net()
    x = torch.rand(1, 3, 8, 8)
    with pytest.raises(ValueError, match="unknown style 'nope'.*s0"):
        net(x, "nope")
    with pytest.raises(ValueError, match="sum to 1"):
        net(x, [0.5, 0.2, 0.2])
    with pytest.raises(ValueError, match="sum to 1"):
        net(x, {"s0": 0.5, "s1": 0.6})
    with pytest.raises(ValueError, match=">= 0"):
        net(x, [1.5, -0.5, 0.0])
    with pytest.raises(ValueError, match="out of range"):
        net(x, 3)
    with pytest.raises(ValueError, match=r"shape \(3,\) or \(B, 3\)"):
        net(x, [0.5, 0.5])
    with pytest.raises(ValueError, match="batch of 1"):
        net(x, ["s0", "s1"])
    with pytest.raises(TypeError):
        net(x, True)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        net(torch.rand(3, 8, 8), 0)
    with pytest.raises(TypeError, match="float"):
        net(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), 0)


def test_constructor_checks():
    with pytest.raises(ValueError, match="num_styles"):
        StyleNet(0)
    with pytest.raises(ValueError, match="style_names"):
        StyleNet(2, ["a"])
    with pytest.raises(ValueError, match="unique"):
        StyleNet(2, ["a", "a"])
    with pytest.raises(ValueError, match="kind"):
        StyleNet(1, kind="other")
    net = StyleNet(2)
    assert net.style_names == ["style0", "style1"] and net.kind == "two-stage"
    # Paper architecture: 9x9 -> 32, 3x3/2 -> 64, 3x3/2 -> 128, 5 residual blocks, 9x9 -> 3.
    assert net.down[0].conv.weight.shape == (32, 3, 9, 9) and net.down[2].conv.weight.shape == (128, 64, 3, 3)
    assert len(net.res) == 5 and net.out_conv.weight.shape == (3, 32, 9, 9)


def test_gated_starts_as_identity_and_mixes_by_gate():
    torch.manual_seed(0)
    net = StyleNet(2, base_channels=4, num_res_blocks=1, kind="distilled", gated=True).eval()
    assert net.config["gated"] is True and net.out_conv.out_channels == 4
    x = torch.rand(2, 3, 19, 23)
    with torch.no_grad():
        y = net(x, 0)
        g = net.gate(x, 0)
        logits = net._logits(x, 0)
    assert y.shape == x.shape and g.shape == (2, 1, 19, 23)
    assert float((y - x).abs().max()) < 0.01  # the gate starts nearly closed
    torch.testing.assert_close(y, g * torch.sigmoid(logits[:, :3]) + (1 - g) * x)
    with pytest.raises(ValueError, match="gated"):
        StyleNet(1).gate(x, 0)


@pytest.mark.parametrize("gated", [False, True])
def test_subset_keeps_each_style_exactly(gated):
    torch.manual_seed(0)
    net = StyleNet(4, ["a", "b", "c", "d"], base_channels=4, num_res_blocks=1, gated=gated,
                   kind="distilled" if gated else "two-stage")
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, ConditionalInstanceNorm2d):
                m.gamma.uniform_(0.5, 1.5)
                m.beta.uniform_(-0.5, 0.5)
    net.set_style_images([np.full((8, 8, 3), 40 * k, np.uint8) for k in range(4)])
    net.eval()
    sub = net.subset(["d", 1])
    assert sub.style_names == ["d", "b"] and sub.num_styles == 2 and sub.kind == net.kind
    assert sub.config == {**net.config, "num_styles": 2}
    assert [int(t[0, 0, 0]) for t in sub.style_images] == [120, 40]
    x = torch.rand(2, 3, 20, 24)
    with torch.no_grad():
        for name in ("d", "b"):
            assert torch.equal(sub(x, name), net(x, name))
        mix = sub(x, {"d": 0.5, "b": 0.5})
        assert torch.allclose(mix, net(x, {"d": 0.5, "b": 0.5}), atol=1e-6)
    with pytest.raises(ValueError, match="unknown style"):
        net.subset(["z"])
    with pytest.raises(ValueError, match="distinct"):
        net.subset(["a", 0])
    with pytest.raises(ValueError, match="distinct"):
        net.subset([])
