"""Distilled end-to-end selective style transfer (thesis §3.2): one network, no TextFCN at inference.

A StyleNet ``eta`` over the frozen teacher ``phi``'s styles learns, with a text mask ``M``, to output
the teacher's stylization inside the text and the untouched input elsewhere:

    L = lambda_text * sum(M * (eta(c) - phi(c))^2) / N  +  lambda_background * sum((1 - M) * (eta(c) - c)^2) / N

with ``N = B * 3 * H * W`` (the DESIGN.md sums, divided by a constant so the lambdas do not depend on
the crop size). ``lambda_text > lambda_background`` because text is a small minority of pixels.
The defaults come from ``tools/distill_lambdas.py`` and ``benchmarks/eval_style.py`` (README).

Two departures from the thesis, both measured in the README: the student is *gated*
(``out = g * stylized + (1 - g) * input``, see :class:`StyleNet`) and starts from the teacher's weights
with the gate closed; ``gated=False, init="fresh"`` is the thesis' recipe. An optional cross-entropy of
the gate against ``M`` (``lambda_gate``) gives the gate a direct signal.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import List, NamedTuple, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from textvision import io
from textvision._distributed import setup_distributed
from textvision.data.datasets import ICDAR2015_HOLDOUT, parse_holdout
from textvision.models.style import StyleNet, style_net
from textvision.style.inference import image_to_tensor
from textvision.style.train import IMAGE_EXTENSIONS, _resumable, render_synth, run_steps
from textvision.training import TrainResult

__all__ = ["DistillConfig", "DistillTerms", "distillation_loss", "distill", "MaskedSampler", "MaskedBatch",
           "DEFAULT_LAMBDA_TEXT", "DEFAULT_LAMBDA_BACKGROUND"]

from textvision.style.defaults import (  # noqa: E402
    DEFAULT_BLEND_THRESHOLD,
    DEFAULT_LAMBDA_BACKGROUND,
    DEFAULT_LAMBDA_GATE,
    DEFAULT_LAMBDA_TEXT,
)


class DistillTerms(NamedTuple):
    """Weighted total and unweighted text / background / gate terms (scalar tensors)."""

    total: torch.Tensor
    text: torch.Tensor
    background: torch.Tensor
    gate: torch.Tensor


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, content: torch.Tensor,
                      mask: torch.Tensor, lambda_text: float = DEFAULT_LAMBDA_TEXT,
                      lambda_background: float = DEFAULT_LAMBDA_BACKGROUND, gate_logits=None,
                      lambda_gate: float = 0.0) -> DistillTerms:
    """Masked weighted MSE of DESIGN.md.

    Args:
        student: ``eta(c)`` float (B, 3, H, W) in [0, 1] (the only input that needs gradients).
        teacher: ``phi(c)`` float (B, 3, H, W), the frozen teacher's stylization.
        content: ``c`` float (B, 3, H, W).
        mask: text mask ``M`` float/bool/uint8 (B, 1, H, W) or (B, H, W), 1 = text (soft values allowed).
        lambda_text, lambda_background: ``lambda_1``, ``lambda_2`` (both >= 0).
        gate_logits, lambda_gate: optional extra term for gated students, ``lambda_gate`` times the
            binary cross-entropy of the gate (logits (B, 1, H, W)) against the mask: a direct
            "where is the text" signal, which the MSE terms only give through the teacher/input gap.

    Returns:
        :class:`DistillTerms`; ``total = lambda_text * text + lambda_background * background
        (+ lambda_gate * gate)``.
    """
    if student.shape != teacher.shape or student.shape != content.shape or student.dim() != 4:
        raise ValueError(f"student {tuple(student.shape)}, teacher {tuple(teacher.shape)} and content "
                         f"{tuple(content.shape)} must be equal (B, 3, H, W)")
    if mask.dim() == 3:
        mask = mask[:, None]
    B, _, H, W = student.shape
    if mask.shape != (B, 1, H, W):
        raise ValueError(f"mask must be (B, 1, H, W) = {(B, 1, H, W)}, got {tuple(mask.shape)}")
    if lambda_text < 0 or lambda_background < 0:
        raise ValueError(f"lambdas must be >= 0, got {lambda_text}, {lambda_background}")
    m = mask.to(student.dtype)
    n = float(student.numel())
    text = (m * (student - teacher).pow(2)).sum() / n
    background = ((1 - m) * (student - content).pow(2)).sum() / n
    total = lambda_text * text + lambda_background * background
    gate = student.new_zeros(())
    if gate_logits is not None and lambda_gate:
        if gate_logits.shape != m.shape:
            raise ValueError(f"gate_logits must be {tuple(m.shape)}, got {tuple(gate_logits.shape)}")
        gate = F.binary_cross_entropy_with_logits(gate_logits, m)
        total = total + lambda_gate * gate
    return DistillTerms(total, text.detach(), background.detach(), gate.detach())


@dataclass
class DistillConfig:
    """Settings of :func:`distill` (stored in the checkpoint as ``train_config``).

    Attributes:
        teacher: teacher checkpoint (``kind="two-stage"``) path.
        out: distilled checkpoint path (resumed when present).
        data: ``"synth"`` (synthetic scenes with exact masks), ``"photos:DIR[;DIR...]"`` (synthetic words
            rendered over crops of the photographs under the folders, exact masks) or a directory of
            images with ICDAR 2015 ground truth ``gt_<image stem>.txt`` beside them or in ``gt_dir``.
        gt_dir: where the ``gt_*.txt`` files are (default: ``data``).
        holdout: with a folder ``data``, the images never trained on (default ``img_901-img_1000``, the
            ICDAR 2015 validation split; see :func:`~textvision.data.datasets.parse_holdout`).
        mask: ``"pixels"`` (rendered scenes only: the exact text pixels) or ``"boxes"`` (filled word quads).
        mask_dilate: grow the mask by this many pixels (covers anti-aliased stroke edges / shadows).
        lambda_text, lambda_background: the loss weights (``lambda_text > lambda_background``).
        lambda_gate: weight of the gate's cross-entropy against the mask (gated students only).
        steps, batch_size, image_size, lr, seed, device, save_every, progress: as in training.
        base_channels, num_res_blocks: student size (None: the teacher's).
        gated: give the student an output gate (see :class:`StyleNet`); False = the plain architecture.
        init: ``"teacher"`` (start from the teacher's weights; the gate starts closed, so the student
            begins as "input everywhere" and learns where to let the teacher's stylization through),
            ``"fresh"`` (random init, as in the thesis; far slower to converge, see the README), or
            the path of an earlier distilled checkpoint of the student's size to start from (its
            style layers; a gate row of its own is dropped when the student's gate is ``gate_fcn``).
        gate_fcn: TextFCN weights (a ``text_fcn`` registry name such as ``"default"``, or a path): the
            student's gate is then a fixed copy of that segmenter (:class:`StyleNet` ``gate_fcn``,
            threshold ``gate_threshold``), and distillation trains only the style branch, to give the
            teacher's stylization on every pixel (text weighted by ``lambda_text``, the rest by
            ``lambda_background``): where the gate opens is the segmenter's call, not a lesson.
        gate_threshold: the FCN gate's threshold (default: the two-stage blend threshold).
    """

    teacher: str
    out: str
    data: str = "synth"
    gt_dir: Optional[str] = None
    holdout: str = ICDAR2015_HOLDOUT
    mask: str = "pixels"
    mask_dilate: int = 1
    lambda_text: float = DEFAULT_LAMBDA_TEXT
    lambda_background: float = DEFAULT_LAMBDA_BACKGROUND
    lambda_gate: float = DEFAULT_LAMBDA_GATE
    steps: int = 2000
    batch_size: int = 4
    image_size: int = 256
    lr: float = 1e-3
    base_channels: Optional[int] = None
    num_res_blocks: Optional[int] = None
    gated: bool = True
    init: str = "teacher"
    gate_fcn: Optional[str] = None
    gate_threshold: float = DEFAULT_BLEND_THRESHOLD
    save_every: int = 500
    seed: int = 0
    device: Optional[str] = None
    progress: bool = True


class MaskedBatch(NamedTuple):
    """One batch of :class:`MaskedSampler`.

    Attributes:
        images: ``uint8`` SxSx3 RGB square crops.
        masks: ``uint8`` SxS {0, 1} text masks of the crops (dilated by the sampler's ``dilate``).
    """

    images: List[np.ndarray]
    masks: List[np.ndarray]


class MaskedSampler:
    """Random square crops with text masks: ``sample(batch, rng) ->`` :class:`MaskedBatch` ``(images, masks)``,
    lists of ``uint8`` SxSx3 RGB and ``uint8`` SxS {0, 1}."""

    def __init__(self, data: str, size: int, mask: str = "pixels", dilate: int = 1,
                 gt_dir: Optional[str] = None, holdout: Optional[str] = ICDAR2015_HOLDOUT):
        if mask not in ("pixels", "boxes"):
            raise ValueError(f"mask must be 'pixels' or 'boxes', got {mask!r}")
        self.size, self.mask, self.dilate = int(size), mask, int(dilate)
        if data == "synth" or data.startswith("photos:"):
            from textvision.data.synth import render_scene

            self._render = render_scene
            if data != "synth":
                from functools import partial

                from textvision.data.photos import PhotoBackgrounds

                dirs = [d for d in data[len("photos:"):].split(";") if d]
                if not dirs:
                    raise ValueError(f"data {data!r}: expected photos:DIR[;DIR...]")
                # Rendered words over crops of real photographs: the student sees real clutter (foliage,
                # railings, signs without words) as background it must leave alone, with exact text pixels.
                self._render = partial(render_scene, backgrounds=PhotoBackgrounds.from_dirs(dirs))
            self.items = None
            return
        if mask == "pixels":
            raise ValueError("mask='pixels' needs rendered scenes (data='synth' or 'photos:DIR'; real datasets "
                             "have word boxes only); use mask='boxes'")
        if not os.path.isdir(data):
            raise FileNotFoundError(f"data directory not found: {data}")
        gt_dir = gt_dir or data
        # The validation photos are never content: a student chosen on them must not have seen them.
        held_out = parse_holdout(holdout) if holdout else (lambda stem: False)
        self.items = []
        for p in sorted(glob.glob(os.path.join(data, "*"))):
            if not p.lower().endswith(IMAGE_EXTENSIONS) or held_out(os.path.splitext(os.path.basename(p))[0]):
                continue
            gt = os.path.join(gt_dir, "gt_" + os.path.splitext(os.path.basename(p))[0] + ".txt")
            if os.path.isfile(gt):
                self.items.append((p, gt))
        if not self.items:
            raise ValueError(f"no image with ICDAR 2015 ground truth gt_<stem>.txt in {data} (gt dir {gt_dir}) "
                             f"outside the held-out set {holdout!r}")

    def _load(self, rng) -> Tuple[np.ndarray, np.ndarray]:
        from textvision.data import read_icdar2015
        from textvision.data.masks import instances_to_masks

        if self.items is None:
            scene = render_synth(self._render, rng, self.size)
            if self.mask == "pixels":
                return scene.image, scene.mask.astype(np.uint8)
            return scene.image, instances_to_masks(scene.instances, scene.image.shape[:2]).text
        path, gt = self.items[int(rng.integers(len(self.items)))]
        img = io.read_rgb(path)
        text, ignore = instances_to_masks(read_icdar2015(gt, strict=False), img.shape[:2])
        # Don't-care words count as text: the student must not learn to keep them unchanged either.
        return img, np.maximum(text, ignore)

    def sample(self, batch: int, rng: np.random.Generator) -> MaskedBatch:
        import cv2

        images, masks = [], []
        for _ in range(batch):
            img, m = self._load(rng)
            h, w = img.shape[:2]
            if min(h, w) < self.size:
                s = self.size / min(h, w)
                size = (max(self.size, round(w * s)), max(self.size, round(h * s)))
                img = cv2.resize(img, size, interpolation=cv2.INTER_CUBIC)
                m = cv2.resize(m, size, interpolation=cv2.INTER_NEAREST)
                h, w = img.shape[:2]
            y, x = int(rng.integers(h - self.size + 1)), int(rng.integers(w - self.size + 1))
            img, m = img[y:y + self.size, x:x + self.size], m[y:y + self.size, x:x + self.size]
            if self.dilate > 0:
                k = 2 * self.dilate + 1
                m = cv2.dilate(m, np.ones((k, k), np.uint8))
            images.append(np.ascontiguousarray(img))
            masks.append(np.ascontiguousarray(m))
        return MaskedBatch(images, masks)


def make_student(teacher: StyleNet, base_channels: Optional[int] = None,
                 num_res_blocks: Optional[int] = None, gated: bool = True, gate_fcn=None,
                 gate_threshold: float = DEFAULT_BLEND_THRESHOLD) -> StyleNet:
    """A freshly initialised ``kind="distilled"`` StyleNet over the teacher's styles and thumbnails
    (gated by default, see :class:`StyleNet`).

    ``gate_fcn``: a :class:`~textvision.models.text_fcn.TextFCN` (or its weights: registry name or path) whose
    copy becomes the student's gate branch, frozen (see :class:`StyleNet` ``gate_fcn``)."""
    fcn = None
    if gate_fcn is not None:
        from textvision.models.text_fcn import TextFCN, text_fcn

        fcn = gate_fcn if isinstance(gate_fcn, TextFCN) else text_fcn(weights=gate_fcn)
    student = StyleNet(teacher.num_styles, teacher.style_names,
                       base_channels=base_channels or teacher.config["base_channels"],
                       num_res_blocks=teacher.config["num_res_blocks"] if num_res_blocks is None else num_res_blocks,
                       kind="distilled", gated=gated or fcn is not None,
                       gate_fcn=None if fcn is None else fcn.config, gate_threshold=gate_threshold)
    if fcn is not None:
        student.gate_net.load_state_dict(fcn.state_dict())
        student.gate_net.requires_grad_(False)
    student.set_style_images(teacher.style_images)  # the same styles, so the same thumbnails
    return student


@torch.no_grad()
def init_from(student: StyleNet, source: StyleNet, source_name: str = "teacher") -> None:
    """Copy a same-size network's weights into ``student``: the teacher (``init='teacher'``) or an earlier
    student (``init=CKPT``). Every style layer and the output conv's RGB rows are copied; a gate row of
    the student's own stays new (random weights, bias -6: closed), and a TextFCN gate branch keeps its
    segmenter weights."""
    check_compatible(source, student, source_name)
    if (student.config["base_channels"], student.config["num_res_blocks"]) != (
            source.config["base_channels"], source.config["num_res_blocks"]):
        raise ValueError(f"init from the {source_name} needs the {source_name}'s size {source.config}, the student "
                         f"has {student.config}; use init='fresh' for a different size")
    state = {k: v for k, v in source.state_dict().items() if not k.startswith(("out_conv.", "gate_net."))}
    student.load_state_dict(state, strict=False)
    student.out_conv.weight[:3].copy_(source.out_conv.weight[:3])
    student.out_conv.bias[:3].copy_(source.out_conv.bias[:3])


def check_compatible(teacher: StyleNet, student: StyleNet, teacher_name: str = "teacher") -> None:
    """``ValueError`` unless the student is conditional on exactly the teacher's styles."""
    if student.num_styles != teacher.num_styles:
        raise ValueError(f"{teacher_name} has {teacher.num_styles} styles {teacher.style_names} but the student "
                         f"has {student.num_styles} {student.style_names}")
    if list(student.style_names) != list(teacher.style_names):
        raise ValueError(f"{teacher_name} styles {teacher.style_names} and student styles {student.style_names} "
                         f"differ (same count, other names or order)")


def distill(config: DistillConfig, student: Optional[StyleNet] = None) -> TrainResult:
    """Train a distilled StyleNet from a teacher checkpoint; returns :class:`~textvision.training.TrainResult`
    (``history``: one record per step, ``step`` and the loss terms).

    ``student``: start from this network instead of a fresh one (must have the teacher's styles).
    The checkpoint at ``config.out`` has ``kind="distilled"`` and resumes like :func:`train_style`'s.
    """
    cfg = config
    if cfg.steps < 0 or cfg.batch_size < 1 or cfg.image_size < 16:
        raise ValueError(f"need steps >= 0, batch_size >= 1, image_size >= 16; got {cfg.steps}, "
                         f"{cfg.batch_size}, {cfg.image_size}")
    if cfg.lambda_text < 0 or cfg.lambda_background < 0:
        raise ValueError(f"lambdas must be >= 0, got {cfg.lambda_text}, {cfg.lambda_background}")
    if cfg.gate_fcn is not None and cfg.lambda_gate:
        raise ValueError("lambda_gate trains a gate of the student's own; with gate_fcn the gate is the fixed "
                         "segmenter (set lambda_gate=0)")
    io.check_output_file(cfg.out, "checkpoint")  # before the work, not at the first save
    ctx = setup_distributed(cfg.device)
    device = ctx.device
    teacher = style_net(weights=cfg.teacher).to(device)
    resume = _resumable(cfg.out, "distilled", "distilled", device)
    for p in teacher.parameters():
        p.requires_grad_(False)
    torch.manual_seed(cfg.seed)
    if student is None:
        student = make_student(teacher, cfg.base_channels, cfg.num_res_blocks, cfg.gated, cfg.gate_fcn,
                               cfg.gate_threshold)
        if cfg.init == "teacher":
            init_from(student, teacher)
        elif cfg.init != "fresh":
            if not os.path.isfile(cfg.init):
                raise ValueError(f"init must be 'teacher', 'fresh' or an earlier distilled checkpoint, got "
                                 f"{cfg.init!r} (no such file)")
            init_from(student, style_net(weights=cfg.init), f"earlier student {cfg.init}")
    else:
        check_compatible(teacher, student)
        student.kind = "distilled"
        if student.style_images is None:
            student.set_style_images(teacher.style_images)
    student = student.to(device)
    sampler = MaskedSampler(cfg.data, cfg.image_size, cfg.mask, cfg.mask_dilate, cfg.gt_dir, cfg.holdout)
    # A TextFCN gate branch stays the segmenter it was copied from (see make_student).
    opt = torch.optim.Adam([p for p in student.parameters() if p.requires_grad], lr=cfg.lr)
    step, history = 0, {"total": [], "text": [], "background": [], "gate": []}
    if resume is not None:
        ckpt = resume
        if list(ckpt["style_names"]) != list(teacher.style_names):
            raise ValueError(f"{cfg.out} has {len(ckpt['style_names'])} styles {ckpt['style_names']} but the "
                             f"teacher has {teacher.num_styles} {teacher.style_names}")
        if ckpt["config"] != student.config:
            raise ValueError(f"{cfg.out} has network config {ckpt['config']}, this run asks {student.config}")
        student.load_state_dict(ckpt["state_dict"])
        opt.load_state_dict(ckpt["optimizer"])
        old = ckpt.get("history", {})
        step, history = int(ckpt["step"]), {k: list(old.get(k, [])) for k in history}
    S = teacher.num_styles

    def compute_terms(net, rng):
        images, masks = sampler.sample(cfg.batch_size, rng)
        x = image_to_tensor(images, device)
        m = torch.from_numpy(np.stack(masks)).to(device)[:, None].float()
        w = torch.nn.functional.one_hot(torch.as_tensor(rng.integers(S, size=cfg.batch_size), device=device),
                                         S).float()
        with torch.no_grad():
            target = teacher(x, w)
        if student.gate_net is not None:
            # The gate is the fixed segmenter: the style branch learns the teacher's output on every
            # pixel (the background term compares with the teacher, not with the input).
            return distillation_loss(net(x, w, ungated=True), target, target, m, cfg.lambda_text,
                                     cfg.lambda_background)
        if student.gated and cfg.lambda_gate:
            out, gate_logits = net(x, w, return_gate_logits=True)
        else:
            out, gate_logits = net(x, w), None
        return distillation_loss(out, target, x, m, cfg.lambda_text, cfg.lambda_background, gate_logits,
                                 cfg.lambda_gate)

    return run_steps(student, cfg, opt, step, history, ctx, "distill", compute_terms)
