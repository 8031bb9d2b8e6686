"""GPU checks, run where a CUDA device is usable (``device`` machines); skipped elsewhere with the reason.

Each compares the device path with the CPU path or a NumPy reference, and checks where the work ran
(``conv_runs``: every convolution's device and output dtype; ``is_cuda`` of device results), so that a
``device="cuda"`` that was ignored fails: the compiled box / region means (edge cases included; these
need a CUDA build of the core, ``cuda(core=True)``), ``segment`` under bf16 autocast, ``stylize``,
``augment_dataset`` and one NCCL step of the TextFCN trainer.
"""
import os
import socket

import cv2
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


@pytest.mark.cuda(core=True)
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
    on_device = ops.box_mean(dev, boxes)
    assert on_device.is_cuda  # computed by the CUDA kernel, not on the host
    got = on_device.cpu().numpy()
    np.testing.assert_allclose(got, _np_box_mean(prob, boxes), rtol=0, atol=1e-6)
    assert np.isnan(got[4]) and np.isnan(got[5])
    assert ops.box_mean(dev, np.zeros((0, 4), np.int32)).shape == (0,)
    off = np.array([0, 0, 1, 4, 4, 9], np.int64)  # empty regions first, between and last
    idx = rng.integers(0, prob.size, 9).astype(np.int32)
    on_device = ops.region_mean(dev, off, idx)
    assert on_device.is_cuda
    got = on_device.cpu().numpy()
    np.testing.assert_allclose(got, _np_region_mean(prob, off, idx), rtol=0, atol=1e-6)
    one = torch.full((1, 1), 0.25, device="cuda")
    np.testing.assert_allclose(ops.box_mean(one, np.array([[0, 0, 1, 1]])).cpu().numpy(), [0.25])


def test_segment_bf16_on_cuda_matches_cpu(conv_runs):
    import textvision
    from textvision.data.synth import render_scene

    img = render_scene(3, (256, 320), text_free_prob=0).image
    cpu = textvision.segment(img, device="cpu")
    assert conv_runs and set(conv_runs) == {("cpu", torch.float32)}
    conv_runs.clear()
    gpu = textvision.segment(img, device="cuda")
    # every convolution ran on the GPU, under bf16 autocast
    assert conv_runs and set(conv_runs) == {("cuda", torch.bfloat16)}, set(conv_runs)
    assert gpu.dtype == np.float32 and gpu.shape == cpu.shape
    # bf16 keeps 8 bits of mantissa: the maps agree closely, not bit for bit.
    assert float(np.abs(gpu - cpu).mean()) < 0.01 and float(np.abs(gpu - cpu).max()) < 0.15


def test_stylize_on_cuda_matches_cpu(conv_runs):
    from textvision.models.style import StyleNet
    from textvision.style import stylize

    torch.manual_seed(0)
    net = StyleNet(2, ["a", "b"], base_channels=8, num_res_blocks=1, kind="distilled").eval()
    img = (np.random.default_rng(1).random((64, 80, 3)) * 255).astype(np.uint8)
    cpu = stylize(img, net, "a", device="cpu")
    assert conv_runs and {d for d, _ in conv_runs} == {"cpu"}
    conv_runs.clear()
    gpu = stylize(img, net, "a", device="cuda")
    assert conv_runs and {d for d, _ in conv_runs} == {"cuda"}
    assert next(net.parameters()).is_cuda  # the model follows the requested device
    assert gpu.dtype == np.uint8 and gpu.shape == img.shape
    assert np.abs(gpu.astype(int) - cpu.astype(int)).max() <= 2


def test_augment_dataset_runs_on_cuda(tmp_path, conv_runs):
    """``augment_dataset(device="cuda")`` restyles on the GPU and writes what the CPU run writes (up to the
    last grey level: different kernels)."""
    from textvision.augment import AugmentOptions, augment_dataset
    from textvision.models.style import StyleNet
    from textvision.style.inference import save_style_model

    src = tmp_path / "src"
    (src / "ch4_training_images").mkdir(parents=True)
    (src / "ch4_training_localization_transcription_gt").mkdir()
    img = (np.random.default_rng(2).random((48, 96, 3)) * 255).astype(np.uint8)
    cv2.imwrite(str(src / "ch4_training_images" / "img_1.png"), img)
    (src / "ch4_training_localization_transcription_gt" / "gt_img_1.txt").write_text("4,4,40,4,40,20,4,20,WORD\n")
    torch.manual_seed(1)
    net = StyleNet(2, ["a", "b"], base_channels=4, num_res_blocks=1, kind="distilled")
    ckpt = save_style_model(net, tmp_path / "style.pt")
    outs = {}
    for device in ("cpu", "cuda"):
        conv_runs.clear()
        res = augment_dataset(src, tmp_path / device, AugmentOptions("icdar2015", str(ckpt), device=device),
                              progress=False)
        assert res.written == 1
        assert conv_runs and {d for d, _ in conv_runs} == {device}
        (out,) = (tmp_path / device / "ch4_training_images").glob("img_*.png")
        outs[device] = cv2.imread(str(out))
    assert np.abs(outs["cuda"].astype(int) - outs["cpu"].astype(int)).max() <= 2


def test_one_nccl_step_of_the_fcn_trainer_equals_a_plain_step(tmp_path, monkeypatch, conv_runs):
    """train_text_fcn's DDP path (SyncBatchNorm, DDP over NCCL, sharded sampler, barrier, shutdown) against a plain
    run of the same trainer on the same shard.

    One GPU holds one NCCL rank, so the trainer is told WORLD_SIZE=2 (it takes its DDP path and gives rank 0
    half the data) while the NCCL group it joins, created here, has this one process: DDP's all-reduce then
    averages over one gradient, and the step must equal a plain step on rank 0's half. Both halves are the
    same image, so the class weights (from the whole set) are equal too. The environment is restored after.
    """
    import torch.distributed as dist

    from textvision.models.text_fcn import build_text_fcn
    from textvision.text_fcn.train import TextFCNTrainConfig, synth_source, train_text_fcn

    if not dist.is_nccl_available():
        pytest.skip("this torch build has no NCCL")
    before = {k: os.environ.get(k) for k in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK")}
    one = synth_source(1, (64, 64), 5, "pixel", max_lines=2, min_height=12.0)
    two = torch.utils.data.ConcatDataset([one, one])

    def cfg(out):
        return TextFCNTrainConfig(out=str(tmp_path / out), epochs=1, batch_size=1, crop=64, warmup_steps=1, lr=1e-2,
                                  progress=False, augment=False, widths=(8, 16, 16, 24, 32), device="cuda:0")

    deterministic, benchmark = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        plain = train_text_fcn(cfg("plain.pt"), one, None).model
        monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
        monkeypatch.setenv("MASTER_PORT", str(_free_port()))
        for k, v in (("WORLD_SIZE", "2"), ("RANK", "0"), ("LOCAL_RANK", "0")):
            monkeypatch.setenv(k, v)
        dist.init_process_group("nccl", rank=0, world_size=1)
        try:
            assert dist.get_backend() == "nccl"
            conv_runs.clear()
            ddp = train_text_fcn(cfg("ddp.pt"), two, None).model
            assert not dist.is_initialized()  # the trainer left the group (shutdown_distributed)
        finally:
            if dist.is_initialized():
                dist.destroy_process_group()
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = deterministic, benchmark
    assert conv_runs and {d for d, _ in conv_runs} == {"cuda"} and torch.bfloat16 in {t for _, t in conv_runs}
    assert all(p.is_cuda for p in ddp.parameters())
    torch.manual_seed(0)  # train_text_fcn's initialisation, for the control below
    init = build_text_fcn({"arch": "lite", "widths": [8, 16, 16, 24, 32]}).state_dict()
    assert any(not torch.equal(init[k], v.cpu()) for k, v in plain.state_dict().items())  # a step was taken
    for (k, a), b in zip(plain.state_dict().items(), ddp.state_dict().values()):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4, msg=k)
    monkeypatch.undo()
    assert {k: os.environ.get(k) for k in before} == before  # MASTER_ADDR and the rest not left behind
