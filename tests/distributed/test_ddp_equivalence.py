"""DDP equivalence: one step of a 2-process gloo run (torchrun, CPU) equals one process given the same
global batch, for every trainer: TextFCN, EAST, train-style and distill.

On CPU the trainers keep plain BatchNorm (SyncBatchNorm is CUDA-only), so each rank normalises with
its own half-batch statistics; the exact single-process reference is therefore: the gradient of each
rank's half (own BN statistics, own loss normalisation), averaged (what DDP's all-reduce does), then
the trainer's optimiser step. A run on the whole batch at once (BN over all of it) is *not* equal and
serves as the control that the comparison can tell the difference.

EAST, train-style and distill also draw their data per rank (EAST's augmentation seed and train-style /
distill's ``default_rng([seed, rank, step])``), so their references rebuild each rank's batch. Those three
trainers save their Adam state too: its first moment after one step is ``0.1 * gradient``, which
compares the averaged gradient itself and not only Adam's (nearly sign-only) first move. Their control
is the step that rank 0 takes on its own half alone, i.e. what a run without the DDP wrapper saves.
"""
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
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
from textvision.text_fcn.train import TextFCNTrainConfig, synth_source, train_text_fcn
tr = synth_source(4, (64, 64), 5, 'pixel', max_lines=2, min_height=12.0)
cfg = TextFCNTrainConfig(out=sys.argv[1], epochs=1, batch_size=int(sys.argv[2]), crop=64, progress=False,
                  warmup_steps=1, lr={LR}, augment=False, widths={WIDTHS})
train_text_fcn(cfg, tr, None)
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

    from textvision.models.text_fcn import build_text_fcn
    from textvision.text_fcn.train import FCNTrainSet, _loss, class_weights, synth_source

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



# ------------------------------------------------------------------------------------------------
# EAST, train-style, distill


def _averaged_grads(model, rank_losses):
    """Per-rank losses -> their gradients averaged over ranks (what DDP's all-reduce does)."""
    params = list(model.parameters())
    grads = [torch.zeros_like(p) for p in params]
    for loss_of_rank in rank_losses:
        for g, gi in zip(grads, torch.autograd.grad(loss_of_rank(), params)):
            g += gi / len(rank_losses)
    return grads


def _adam_step(model, grads, lr, clip=None):
    """The trainers' step on given gradients: optional grad-norm clip, then torch Adam (defaults)."""
    params = list(model.parameters())
    for p, g in zip(params, grads):
        p.grad = g.clone()
    if clip is not None:
        torch.nn.utils.clip_grad_norm_(params, clip)
    opt = torch.optim.Adam(params, lr=lr)
    opt.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, opt.state_dict()


def _check_step(saved, ref_state, ref_opt, control_state, control_opt):
    """The saved (DDP) weights and Adam first moments equal the reference's; the control's do not."""
    names = [k for k in ref_state if "running" not in k and "num_batches" not in k]
    lr = ref_opt["param_groups"][0]["lr"]
    diff = _max_param_diff(saved["state_dict"], ref_state, names)
    control = _max_param_diff(control_state, ref_state, names)
    assert control > 0.5 * lr, "the control step should differ by about lr somewhere"
    assert diff < 1e-3 * lr, (diff, control)

    def moments(opt_state):
        return [opt_state["state"][i]["exp_avg"] for i in sorted(opt_state["state"])]

    got, ref, ctl = moments(saved["optimizer"]), moments(ref_opt), moments(control_opt)
    assert len(got) == len(ref)
    scale = max(float(r.abs().max()) for r in ref)
    err = max(float((a - r).abs().max()) for a, r in zip(got, ref))
    ctl_err = max(float((a - r).abs().max()) for a, r in zip(ctl, ref))
    assert ctl_err > 0.1 * scale, (ctl_err, scale)
    assert err < 1e-4 * scale, (err, ctl_err, scale)


# 96 px scenes cropped to 64: with these seeds every rank's half keeps some text after augmentation
# (a text-free half has a near-zero gradient and could not show a missing all-reduce).
EAST_SCENE, EAST_SIZE, EAST_N = 96, 64, 4
EAST_SCRIPT = f"""
import sys, torch
torch.set_num_threads(1)
from textvision.data.synth import SynthDataset
from textvision.east.train import EASTTrainConfig, train_east
ds = SynthDataset({EAST_N}, size=({EAST_SCENE}, {EAST_SCENE}), seed=0, max_lines=3, effects=False, min_height=14,
                  text_free_prob=0)
cfg = EASTTrainConfig(backbone="tiny", input_size={EAST_SIZE}, batch_size=int(sys.argv[2]), epochs=1, lr={LR},
                  augment=True, progress=False, device="cpu")
train_east(cfg, ds, None, out=sys.argv[1], log=lambda s: None)
"""


def _east_reference():
    """Tiny EAST after one step: each rank's own augmented half (its augmentation seed, its BN
    statistics), gradients averaged, clipped to norm 10, Adam at the full lr (the cosine factor is 1 at
    step 0). Also the control: rank 0's half alone."""
    from torch.utils.data.distributed import DistributedSampler

    from textvision.data.synth import SynthDataset
    from textvision.east.loss import EASTLoss
    from textvision.east.train import EASTTrainConfig, EASTTrainDataset, collate_east
    from textvision.models.east import EAST

    cfg = EASTTrainConfig()  # the loss and augmentation defaults the script keeps
    ds = SynthDataset(EAST_N, size=(EAST_SCENE, EAST_SCENE), seed=0, max_lines=3, effects=False, min_height=14,
                      text_free_prob=0)
    batches = []
    for rank in range(2):
        aug_seed = (0 * 1_000_003 + rank * 10_007) % 2 ** 31  # train_east's per-rank augmentation seed
        data = EASTTrainDataset(ds, EAST_SIZE, augment=True, scale_range=cfg.scale_range, rotate=cfg.rotate,
                                seed=aug_seed)
        sampler = DistributedSampler(data, num_replicas=2, rank=rank, shuffle=True, seed=0)
        sampler.set_epoch(0)
        batches.append(collate_east([data[i] for i in sampler]))
    criterion = EASTLoss(cfg.score_loss, angle_weight=cfg.angle_weight)

    def build():
        torch.manual_seed(0)  # rank 0's seed; DDP broadcasts rank 0's initial weights
        return EAST("tiny").train()

    def loss(model, b):
        pred = model(b["image"])
        return lambda: criterion(pred.score, pred.geometry, b["score"], b["geometry"], b["mask"]).total

    model = build()
    ref = _adam_step(model, _averaged_grads(model, [loss(model, b) for b in batches]), LR, clip=10.0)
    model = build()
    control = _adam_step(model, _averaged_grads(model, [loss(model, batches[0])]), LR, clip=10.0)
    return ref, control


def test_east_ddp_step_equals_one_process(tmp_path):
    script = tmp_path / "east.py"
    script.write_text(EAST_SCRIPT)
    _run([_torchrun(), "--standalone", "--nproc_per_node=2", str(script), str(tmp_path / "ddp.pt"), "2"], tmp_path)
    ddp = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert ddp["epoch"] == 1 and ddp["optimizer"]["state"][0]["step"] == 1
    (ref, ref_opt), (control, control_opt) = _east_reference()
    _check_step(ddp, ref, ref_opt, control, control_opt)


STYLE_COLOURS = (((20, 20, 160), (250, 220, 0)), ((235, 235, 225), (0, 120, 0)))
STYLE = dict(batch_size=2, image_size=32, style_size=48, base_channels=8, num_res_blocks=1)


def _write_rgb(path, rgb):
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def _style_data(root):
    """Two word-crop style images, three content images, two ICDAR-labelled images (tiny)."""
    styles, content, icdar = root / "styles", root / "content", root / "icdar"
    for d in (styles, content, icdar):
        d.mkdir()
    for k, (bg, fg) in enumerate(STYLE_COLOURS):
        im = np.full((40, 120, 3), bg, np.uint8)
        cv2.putText(im, "WORD", (5, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.2, fg, 4, cv2.LINE_AA)
        _write_rgb(styles / f"s{k}.png", im)
    rng = np.random.default_rng(1)
    for i in range(3):
        im = cv2.GaussianBlur((rng.random((40, 48, 3)) * 255).astype(np.uint8), (7, 7), 2)
        cv2.putText(im, "ab", (4, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        _write_rgb(content / f"c{i}.png", im)
    for i in range(3):
        im = np.full((44, 40, 3), rng.integers(0, 255, 3), np.uint8)
        cv2.putText(im, "Hi", (4, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
        _write_rgb(icdar / f"img_{i}.png", im)
        (icdar / f"gt_img_{i}.txt").write_text("2,6,36,6,36,34,2,34,Hi\n", encoding="utf-8")
    return styles, content, icdar


STYLE_SCRIPT = f"""
import sys, warnings, torch
torch.set_num_threads(1)
warnings.simplefilter("ignore", RuntimeWarning)  # the random loss network's (expected) warning
from textvision.style.train import StyleTrainConfig, train_style
train_style(StyleTrainConfig(styles=sys.argv[2], out=sys.argv[1], content=sys.argv[3], loss_net="random",
                             steps=1, lr={LR}, progress=False, device="cpu", **{STYLE}))
"""


def _style_reference(styles, content):
    """train-style after one step: each rank's crops and style indices from
    ``default_rng([seed, rank, 0])``, gradients averaged, Adam. Also the control: rank 0's alone."""
    from textvision.models.style import StyleNet
    from textvision.style.inference import image_to_tensor
    from textvision.style.losses import PerceptualLoss, loss_network
    from textvision.style.train import ContentSampler, StyleTrainConfig, load_style_images

    cfg = StyleTrainConfig(styles=str(styles), out="", **STYLE)
    names, images = load_style_images(str(styles), cfg.style_size)
    vgg, _ = loss_network("random", warn=False)
    loss_fn = PerceptualLoss(vgg, content_weight=cfg.content_weight, style_weight=cfg.style_weight,
                             tv_weight=cfg.tv_weight)
    loss_fn.set_style_images([image_to_tensor([im])[0] for im in images])
    sampler = ContentSampler(str(content), cfg.image_size)
    batches = []
    for rank in range(2):
        rng = np.random.default_rng([0, rank, 0])
        x = image_to_tensor(sampler.sample(cfg.batch_size, rng))
        w = torch.nn.functional.one_hot(torch.as_tensor(rng.integers(len(names), size=cfg.batch_size)),
                                        len(names)).float()
        batches.append((x, w))

    def build():
        torch.manual_seed(0)
        return StyleNet(len(names), names, base_channels=cfg.base_channels,
                        num_res_blocks=cfg.num_res_blocks).train()

    def loss(model, x, w):
        return lambda: loss_fn(model(x, w), x, w).total

    model = build()
    ref = _adam_step(model, _averaged_grads(model, [loss(model, *b) for b in batches]), LR)
    model = build()
    control = _adam_step(model, _averaged_grads(model, [loss(model, *batches[0])]), LR)
    return ref, control


def test_train_style_ddp_step_equals_one_process(tmp_path):
    styles, content, _ = _style_data(tmp_path)
    script = tmp_path / "style.py"
    script.write_text(STYLE_SCRIPT)
    _run([_torchrun(), "--standalone", "--nproc_per_node=2", str(script), str(tmp_path / "ddp.pt"), str(styles),
          str(content)], tmp_path)
    ddp = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert ddp["step"] == 1
    (ref, ref_opt), (control, control_opt) = _style_reference(styles, content)
    _check_step(ddp, ref, ref_opt, control, control_opt)


DISTILL = dict(batch_size=2, image_size=32, mask="boxes", lambda_gate=0.5)
DISTILL_SCRIPT = f"""
import sys, torch
torch.set_num_threads(1)
from textvision.style.distillation import DistillConfig, distill
distill(DistillConfig(teacher=sys.argv[2], out=sys.argv[1], data=sys.argv[3], steps=1, lr={LR}, progress=False,
                      device="cpu", **{DISTILL}))
"""


def _teacher(path):
    """A tiny random teacher checkpoint over two styles (distinct per-style affines)."""
    from textvision.models.style import StyleNet
    from textvision.style.inference import save_style_model

    torch.manual_seed(7)
    net = StyleNet(2, ["s0", "s1"], base_channels=8, num_res_blocks=1)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    save_style_model(net, path)


def _distill_reference(teacher_path, icdar):
    """distill after one step: the student starts from the teacher (gate closed), each rank's crops,
    masks and styles from ``default_rng([seed, rank, 0])``, gradients averaged (gate term included),
    Adam. Also the control: rank 0's alone."""
    from textvision.models.style import style_net
    from textvision.style.distillation import (
        DistillConfig,
        MaskedSampler,
        distillation_loss,
        init_from,
        make_student,
    )
    from textvision.style.inference import image_to_tensor

    cfg = DistillConfig(teacher=str(teacher_path), out="", data=str(icdar), **DISTILL)
    teacher = style_net(weights=str(teacher_path))
    sampler = MaskedSampler(str(icdar), cfg.image_size, cfg.mask, cfg.mask_dilate)
    S = teacher.num_styles
    batches = []
    for rank in range(2):
        rng = np.random.default_rng([0, rank, 0])
        images, masks = sampler.sample(cfg.batch_size, rng)
        x = image_to_tensor(images)
        m = torch.from_numpy(np.stack(masks))[:, None].float()
        w = torch.nn.functional.one_hot(torch.as_tensor(rng.integers(S, size=cfg.batch_size)), S).float()
        with torch.no_grad():
            target = teacher(x, w)
        batches.append((x, m, w, target))

    def build():
        torch.manual_seed(0)
        student = make_student(teacher, gated=True)
        init_from(student, teacher)
        return student.train()

    def loss(model, x, m, w, target):
        def f():
            out, gate_logits = model(x, w, return_gate_logits=True)
            return distillation_loss(out, target, x, m, cfg.lambda_text, cfg.lambda_background, gate_logits,
                                     cfg.lambda_gate).total
        return f

    model = build()
    ref = _adam_step(model, _averaged_grads(model, [loss(model, *b) for b in batches]), LR)
    model = build()
    control = _adam_step(model, _averaged_grads(model, [loss(model, *batches[0])]), LR)
    return ref, control


def test_distill_ddp_step_equals_one_process(tmp_path):
    _, _, icdar = _style_data(tmp_path)
    teacher = tmp_path / "teacher.pt"
    _teacher(teacher)
    script = tmp_path / "distill.py"
    script.write_text(DISTILL_SCRIPT)
    _run([_torchrun(), "--standalone", "--nproc_per_node=2", str(script), str(tmp_path / "ddp.pt"), str(teacher),
          str(icdar)], tmp_path)
    ddp = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert ddp["step"] == 1
    (ref, ref_opt), (control, control_opt) = _distill_reference(teacher, icdar)
    _check_step(ddp, ref, ref_opt, control, control_opt)
