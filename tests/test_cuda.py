"""GPU checks, run where a CUDA device is usable (``device`` machines); skipped elsewhere with a reason.

Each compares the device path with the CPU path or a NumPy reference: the compiled box / region means
(edge cases included), ``segment`` under bf16 autocast, ``stylize``, and one NCCL DDP step.
"""
import os
import socket

import numpy as np
import pytest

from textvision import ops

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.cuda


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _np_box_mean(prob, boxes):
    h, w = prob.shape
    out = []
    for x1, y1, x2, y2 in np.asarray(boxes, np.int64):
        x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
        out.append(prob[y1:y2, x1:x2].mean() if x2 > x1 and y2 > y1 else np.nan)
    return np.array(out, np.float32)


def _np_region_mean(prob, off, idx):
    flat = prob.ravel()
    return np.array([flat[idx[a:b]].mean() if b > a else np.nan for a, b in zip(off[:-1], off[1:])], np.float32)


def test_box_and_region_means_on_device_edge_cases():
    rng = np.random.default_rng(0)
    prob = rng.random((37, 53)).astype(np.float32)
    dev = torch.from_numpy(prob).cuda()
    boxes = np.array([[0, 0, 53, 37],      # the whole map
                      [5, 6, 6, 7],        # one pixel
                      [-10, -10, 3, 2],    # clipped at the top-left
                      [50, 30, 90, 90],    # clipped at the bottom-right
                      [60, 40, 70, 50],    # outside: NaN
                      [9, 9, 9, 20]],      # empty: NaN
                     np.int32)
    got = ops.box_mean(dev, boxes).cpu().numpy()
    np.testing.assert_allclose(got, _np_box_mean(prob, boxes), rtol=0, atol=1e-6)
    assert np.isnan(got[4]) and np.isnan(got[5])
    assert ops.box_mean(dev, np.zeros((0, 4), np.int32)).shape == (0,)
    off = np.array([0, 0, 1, 4, 4, 9], np.int64)  # empty regions first, between and last
    idx = rng.integers(0, prob.size, 9).astype(np.int32)
    got = ops.region_mean(dev, off, idx).cpu().numpy()
    np.testing.assert_allclose(got, _np_region_mean(prob, off, idx), rtol=0, atol=1e-6)
    one = torch.full((1, 1), 0.25, device="cuda")
    np.testing.assert_allclose(ops.box_mean(one, np.array([[0, 0, 1, 1]])).cpu().numpy(), [0.25])


def test_segment_bf16_on_cuda_matches_cpu():
    import textvision
    from textvision.data.synth import render_scene

    img = render_scene(3, (256, 320), text_free_prob=0).image
    cpu = textvision.segment(img, device="cpu")
    gpu = textvision.segment(img, device="cuda")
    assert gpu.dtype == np.float32 and gpu.shape == cpu.shape
    # bf16 keeps 8 bits of mantissa: the maps agree closely, not bit for bit.
    assert float(np.abs(gpu - cpu).mean()) < 0.01 and float(np.abs(gpu - cpu).max()) < 0.15


def test_stylize_on_cuda_matches_cpu():
    from textvision.models.style import StyleNet
    from textvision.style import stylize

    torch.manual_seed(0)
    net = StyleNet(2, ["a", "b"], base_channels=8, num_res_blocks=1, kind="distilled").eval()
    img = (np.random.default_rng(1).random((64, 80, 3)) * 255).astype(np.uint8)
    cpu = stylize(img, net, "a", device="cpu")
    gpu = stylize(img, net, "a", device="cuda")
    assert gpu.dtype == np.uint8 and gpu.shape == img.shape
    assert np.abs(gpu.astype(int) - cpu.astype(int)).max() <= 2


def test_one_nccl_ddp_step_equals_a_plain_step():
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    if not dist.is_nccl_available():
        pytest.skip("this torch build has no NCCL")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(_free_port())
    dist.init_process_group("nccl", rank=0, world_size=1)
    try:
        torch.manual_seed(0)
        plain = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1)).cuda()
        ddp = DDP(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1)).cuda(),
                  device_ids=[0])
        ddp.module.load_state_dict(plain.state_dict())
        x = torch.randn(2, 3, 16, 16, device="cuda")
        for net in (plain, ddp):
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            net(x).square().mean().backward()
            opt.step()
        for a, b in zip(plain.parameters(), ddp.module.parameters()):
            torch.testing.assert_close(a, b)
    finally:
        dist.destroy_process_group()
