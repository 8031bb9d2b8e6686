"""DDP equivalence: one step of a 2-process gloo run (torchrun, CPU) equals one process given the same
global batch.

On CPU the trainers keep plain BatchNorm (SyncBatchNorm is CUDA-only), so each rank normalises with
its own half-batch statistics; the exact single-process reference is therefore: the gradient of each
rank's half (own BN statistics, own loss normalisation), averaged (what DDP's all-reduce does), then
the trainer's optimiser step. A run on the whole batch at once (BN over all of it) is *not* equal and
serves as the control that the comparison can tell the difference.
"""
import os
import shutil
import subprocess
import sys

import pytest
import torch

pytestmark = pytest.mark.slow

WIDTHS = (8, 16, 16, 24, 32)
LR = 1e-2


def _torchrun():
    path = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")
    if not os.path.exists(path):
        pytest.skip("torchrun not installed")
    return path


FCN_SCRIPT = f"""
import sys, torch
torch.set_num_threads(1)
from textvision.segmentation.train import TrainConfig, synth_source, train_fcn
tr = synth_source(4, (64, 64), 5, 'pixel', max_lines=2, min_height=12.0)
cfg = TrainConfig(out=sys.argv[1], epochs=1, batch_size=int(sys.argv[2]), crop=64, progress=False,
                  warmup_steps=1, lr={LR}, augment=False, widths={WIDTHS})
train_fcn(cfg, tr, None)
"""


def _run(cmd, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    for k in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _fcn_reference():
    """TextFCN after one step on the 4-sample batch, gradients averaged over the two ranks' halves."""
    from torch.utils.data import default_collate
    from torch.utils.data.distributed import DistributedSampler

    from textvision.models.fcn import build_text_fcn
    from textvision.segmentation.train import FCNTrainSet, _loss, class_weights, synth_source

    tr = synth_source(4, (64, 64), 5, "pixel", max_lines=2, min_height=12.0)
    torch.manual_seed(0)  # the trainer's seed before building the model
    model = build_text_fcn({"arch": "lite", "widths": list(WIDTHS)}).train()
    wb, wt = class_weights(tr, "sqrt")
    weight = torch.tensor([wb, wt], dtype=torch.float32)
    ts = FCNTrainSet(tr, 64, train=False, seed=0)
    ts.set_epoch(0)
    params = list(model.parameters())
    grads = [torch.zeros_like(p) for p in params]
    for rank in range(2):
        sampler = DistributedSampler(ts, num_replicas=2, rank=rank, shuffle=True, seed=0)
        sampler.set_epoch(0)
        x, y = default_collate([ts[i] for i in sampler])
        loss = _loss(model(x), y, weight, 0.0)
        for g, gi in zip(grads, torch.autograd.grad(loss, params)):
            g += gi / 2
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=1e-4)  # warmup_steps=1: full lr at step 0
    for p, g in zip(params, grads):
        p.grad = g
    opt.step()
    return model.state_dict()


def _max_param_diff(a, b, names):
    return max(float((a[k] - b[k]).abs().max()) for k in names)


def test_text_fcn_ddp_step_equals_one_process(tmp_path):
    script = tmp_path / "fcn.py"
    script.write_text(FCN_SCRIPT)
    _run([_torchrun(), "--standalone", "--nproc_per_node=2", str(script), str(tmp_path / "ddp.pt"), "2"], tmp_path)
    _run([sys.executable, str(script), str(tmp_path / "whole.pt"), "4"], tmp_path)
    ddp = torch.load(tmp_path / "ddp.pt", weights_only=True)
    whole = torch.load(tmp_path / "whole.pt", weights_only=True)
    assert ddp["step"] == whole["step"] == 1
    ref = _fcn_reference()
    names = [k for k in ref if "running" not in k and "num_batches" not in k]
    # Adam's first step moves every weight by about LR: a different gradient shows at that scale.
    diff = _max_param_diff(ddp["state_dict"], ref, names)
    control = _max_param_diff(whole["state_dict"], ref, names)
    assert control > 0.5 * LR, "the control run should differ (BN over 4 images, not 2 + 2)"
    assert diff < 1e-3 * LR, (diff, control)
