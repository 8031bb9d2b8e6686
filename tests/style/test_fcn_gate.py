"""Students whose gate is a TextFCN branch (StyleNet gate_fcn; distill --gate-fcn)."""
import numpy as np
import pytest
import torch

from textvision import cli
from textvision.models.style import StyleNet, style_net
from textvision.models.text_fcn import text_fcn
from textvision.style import save_style_model, stylize
from textvision.style.distillation import DistillConfig, distill, init_from, make_student


def _fcn(seed=0):
    torch.manual_seed(seed)
    fcn = text_fcn("lite", widths=(4, 8, 8, 8, 8))
    with torch.no_grad():  # a classifier bias that puts P on both sides of the threshold
        fcn.classifier.bias.copy_(torch.tensor([0.0, 0.2]))
    return fcn.eval()


def _student(make_net, fcn=None, threshold=0.6):
    return make_student(make_net(), gate_fcn=fcn or _fcn(), gate_threshold=threshold).eval()


def test_gate_is_the_segment_map_above_the_threshold(make_net):
    # The branch sees the image at segment()'s working size; a 1280 px wide image is that size already,
    # so the gate must be segment()'s map, zeroed below the threshold, and the output the input there.
    import textvision

    fcn = _fcn()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 1280, 3), dtype=np.uint8)
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    p = textvision.segment(img, model=fcn)
    thr = float(np.quantile(p, 0.5))  # half the pixels on each side of the threshold
    st = _student(make_net, fcn, threshold=thr)
    want = np.where(p >= thr, p, 0)
    gate = st.gate(x, 0)[0, 0].numpy()
    clear = np.abs(p - thr) > 1e-4  # float noise may flip pixels that sit on the threshold
    assert clear.mean() > 0.5 and 0.1 < (want[clear] > 0).mean() < 0.9
    np.testing.assert_allclose(gate[clear], want[clear], atol=2e-5)
    with torch.no_grad():
        out = st(x, 0)
        styled = st(x, 0, ungated=True)
    closed = torch.from_numpy(gate == 0)
    assert torch.equal(out[0][:, closed], x[0][:, closed])
    g = torch.from_numpy(gate)
    torch.testing.assert_close(out[0], g * styled[0] + (1 - g) * x[0])
    # A small image is upscaled for the branch (as segment() does) and the gate comes back at its size.
    small = img[:24, :40]
    xs = torch.from_numpy(small).permute(2, 0, 1)[None].float() / 255
    assert st.gate(xs, 0).shape == (1, 1, 24, 40)


def test_fcn_gated_network_round_trips_and_rejects_misuse(make_net, tmp_path):
    st = _student(make_net)
    assert st.out_conv.out_channels == 3 and st.config["gate_threshold"] == 0.6
    path = save_style_model(st, tmp_path / "s.pt")
    back = style_net(weights=path)
    assert back.config == st.config and back.gate_net is not None
    x = torch.rand(1, 3, 20, 30)
    with torch.no_grad():
        torch.testing.assert_close(back(x, 1), st(x, 1))
    back.train()
    assert back.training and not back.gate_net.training  # the segmenter keeps its BatchNorm statistics
    with pytest.raises(ValueError, match="TextFCN branch"):
        st(x, 0, return_gate_logits=True)
    with pytest.raises(ValueError, match="gated=True"):
        StyleNet(2, gate_fcn=_fcn().config)
    with pytest.raises(ValueError, match="gate_threshold"):
        StyleNet(2, gated=True, gate_fcn=_fcn().config, gate_threshold=1.5)


def test_distill_trains_the_style_branch_only(make_net, tmp_path):
    teacher = make_net()
    tpath = save_style_model(teacher, tmp_path / "t.pt")
    fcn = _fcn()
    fpath = tmp_path / "fcn.pt"
    from textvision.models.text_fcn import save_text_fcn

    save_text_fcn(fpath, fcn)
    cfg = DistillConfig(teacher=tpath, out=str(tmp_path / "d.pt"), data="synth", steps=30, batch_size=2,
                        image_size=32, lr=1e-2, init="fresh", gate_fcn=str(fpath), progress=False)
    res = distill(cfg)
    h = [r["total"] for r in res.history]
    assert np.mean(h[-5:]) < np.mean(h[:5])
    d = style_net(weights=cfg.out)
    ref = fcn.state_dict()
    for k, v in d.gate_net.state_dict().items():  # weights and BatchNorm statistics untouched
        assert torch.equal(v, ref[k]), k
    # The style branch learned the teacher's output on every pixel (not the input).
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        err = (d(x, 0, ungated=True) - teacher(x, 0)).abs().mean()
        fresh = (make_student(teacher, gate_fcn=fcn)(x, 0, ungated=True) - teacher(x, 0)).abs().mean()
    assert err < fresh
    img = np.zeros((24, 24, 3), np.uint8)
    assert stylize(img, d, "bluegold").shape == (24, 24, 3)
    with pytest.raises(ValueError, match="lambda_gate"):
        distill(DistillConfig(teacher=tpath, out=str(tmp_path / "e.pt"), gate_fcn=str(fpath), lambda_gate=1.0,
                              steps=1, progress=False))


def test_init_from_an_earlier_student(make_net, tmp_path):
    teacher = make_net()
    own_gate = make_student(teacher)  # a student with a gate row of its own
    with torch.no_grad():
        for p in own_gate.parameters():
            p.add_(0.1)
    path = save_style_model(own_gate, tmp_path / "old.pt")
    st = make_student(teacher, gate_fcn=_fcn())
    gate_weights = {k: v.clone() for k, v in st.gate_net.state_dict().items()}
    init_from(st, style_net(weights=path), "earlier student")
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(st(x, 1, ungated=True), own_gate(x, 1, ungated=True))
    # The segmenter branch is not overwritten, not even by a source with a TextFCN gate of its own.
    init_from(st, make_student(teacher, gate_fcn=_fcn(seed=1)), "earlier student")
    for k, v in st.gate_net.state_dict().items():
        torch.testing.assert_close(v, gate_weights[k])
    with pytest.raises(ValueError, match="earlier student's size"):
        init_from(make_student(teacher, base_channels=8, gate_fcn=_fcn()), style_net(weights=path), "earlier student")


def test_cli_gate_fcn_errors(make_net, tmp_path, capsys):
    tpath = save_style_model(make_net(), tmp_path / "t.pt")
    base = ["distill", "--teacher", tpath, "--out", str(tmp_path / "d.pt"), "--steps", "1"]
    assert cli.main(base + ["--gate-fcn", "default", "--plain-student"]) == 1
    assert "leave out --plain-student" in capsys.readouterr().err
    assert cli.main(base + ["--gate-threshold", "0.5"]) == 1
    assert "--gate-fcn students only" in capsys.readouterr().err
    assert cli.main(base + ["--init", str(tmp_path / "missing.pt")]) == 1
    assert "earlier distilled checkpoint" in capsys.readouterr().err
