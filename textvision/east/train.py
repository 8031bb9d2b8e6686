"""Training EAST: dataset wrapper (geometric augmentation through albumentations, targets),
training loop with progress bar, per-epoch ICDAR 2015 validation, checkpoint/resume, and
``torchrun`` DDP (gloo on CPU, nccl on GPU).

The command ``textvision train-east`` is a thin layer over :func:`train_east`.
"""
from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from textvision._distributed import setup_distributed
from textvision.checkpoint import load_checkpoint
from textvision.east.decode import DETECT_NMS, detect
from textvision.east.loss import EASTLoss
from textvision.east.targets import targets
from textvision.eval.scores import DetectionScores
from textvision.models.east import CHECKPOINT_KIND, EAST, east, save_east
from textvision.training import TrainResult, best_of

__all__ = ["EASTTrainConfig", "EASTTrainDataset", "StyledCopies", "geometric_augmentation", "train_east", "evaluate_east",
           "save_east", "collate_east"]

logger = logging.getLogger("textvision.east")


@dataclass
class EASTTrainConfig:
    """Settings of :func:`train_east` (plain values, stored in checkpoints).

    Attributes:
        backbone: ``"resnet50"``, ``"vgg16"`` or ``"tiny"``.
        backbone_weights: optional local torchvision ImageNet checkpoint of the backbone.
        init: optional EAST weights to start from (a checkpoint path or registry name, see
            :func:`~textvision.models.east.east`); its backbone must be ``backbone``. Ignored when
            a run is resumed.
        input_size: side of the square training crops (multiple of 32).
        batch_size: per process.
        epochs: total epochs (a resumed run continues up to this).
        lr: Adam learning rate; cosine-annealed to ``lr * 0.05`` over the run.
        weight_decay: Adam weight decay.
        score_loss: ``"dice"`` or ``"balanced_bce"``; ``angle_weight`` is lambda_theta.
        augment: geometric augmentation (random scale, rotation, crop) when True.
        scale_range, rotate: augmentation ranges (scale factors drawn log-uniformly, degrees).
        text_crop: probability that a training crop is placed so that a legible word lies inside it
            (incidental text covers a few percent of a photograph: uniform crops rarely hold a word).
        colour: photometric jitter (colour, blur, noise) of the training crops.
        bf16: run the forward pass under bfloat16 autocast (the loss in float32): faster on a
            CPU with AVX512-BF16 or AMX, and on recent GPUs; slower on CPUs without them. The per-epoch
            validation then runs under bf16 too (a proxy for choosing the epoch; score the chosen
            checkpoint in float32 with ``benchmarks/eval_east.py``).
        workers: DataLoader workers per process.
        val_max_side: validation images are resized to this longer side.
        score_threshold, nms_threshold, box_threshold: decoding for validation / detection.
        freeze_stages: backbone stages (of 4) kept fixed, pretrained BatchNorm statistics included
            (``vgg16bn_lite`` only; see :meth:`~textvision.models.east.EAST.freeze_backbone`).
        seed: base random seed (each DDP rank adds its rank).
        progress: tqdm progress bar (rank 0 only).
        device: ``"cpu"``, ``"cuda"`` or None (CUDA when available; the local rank's GPU under DDP).
    """

    backbone: str = "resnet50"
    backbone_weights: Optional[str] = None
    init: Optional[str] = None
    input_size: int = 512
    batch_size: int = 8
    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 0.0
    score_loss: str = "dice"
    angle_weight: float = 10.0
    augment: bool = True
    scale_range: Tuple[float, float] = (0.5, 3.0)
    rotate: float = 10.0
    text_crop: float = 0.0
    colour: bool = False
    bf16: bool = False
    workers: int = 0
    val_max_side: int = 1280
    score_threshold: float = 0.8
    nms_threshold: float = DETECT_NMS
    box_threshold: float = 0.1
    freeze_stages: int = 0
    seed: int = 0
    progress: bool = True
    device: Optional[str] = None


def geometric_augmentation(size: int, scale_range=(0.5, 3.0), rotate: float = 10.0, train: bool = True,
                           seed: Optional[int] = None, text_crop: float = 0.0) -> CropAugmentation:
    """A callable ``aug(image, quads, legible) -> (crop uint8 [size, size, 3], quads float32 [N, 4, 2])``
    drawing one training crop (see :class:`CropAugmentation`)."""
    return CropAugmentation(size, scale_range, rotate, train=train, text_crop=text_crop, seed=seed)


class CropAugmentation:
    """EAST's geometric augmentation as one affine warp straight into the ``size`` x ``size`` crop.

    With ``train``: a random scale (log-uniform in ``scale_range``), a random rotation in
    ``[-rotate, rotate]`` degrees and a crop centre; with probability ``text_crop`` (when the image has a
    legible word) the centre is drawn so that a randomly chosen legible word lies inside the crop where it
    fits, so small incidental words are seen far more often than a uniform crop would show them.
    Outside the image is black. Without ``train``: pad (bottom/right) to ``size`` and centre-crop.

    One warp into the crop, not a warp of the whole photograph then a crop: at scale 3 a 1280x720
    photograph would be an 8-Mpixel intermediate for a 256 px crop.

    Draws come from ``numpy.random.default_rng((seed, epoch, index))`` through :meth:`__call__`'s
    ``key``, so a crop depends only on the seed, the epoch and the item, not on DataLoader workers or
    on how many items were drawn before (a resumed run sees the crops an uninterrupted one would).
    """

    def __init__(self, size: int, scale_range=(0.5, 3.0), rotate: float = 10.0, *, train: bool = True,
                 text_crop: float = 0.0, seed: Optional[int] = None):
        lo, hi = (float(v) for v in scale_range)
        if not 0 < lo <= hi:
            raise ValueError(f"scale_range must be 0 < lo <= hi, got {tuple(scale_range)}")
        if not 0.0 <= float(text_crop) <= 1.0:
            raise ValueError(f"text_crop must be a probability in [0, 1], got {text_crop}")
        self.size, self.scale_range, self.rotate = int(size), (lo, hi), float(rotate)
        self.train, self.text_crop = bool(train), float(text_crop)
        self.seed = int(np.random.SeedSequence().entropy % 2 ** 31) if seed is None else int(seed)

    def matrix(self, rng: np.random.Generator, shape, quads: np.ndarray, legible: np.ndarray) -> np.ndarray:
        """The 2x3 affine matrix from image to crop pixels for one draw."""
        import cv2

        H, W = shape[:2]
        S = self.size
        if not self.train:
            return np.array([[1.0, 0.0, -max(0, (W - S) // 2)], [0.0, 1.0, -max(0, (H - S) // 2)]])
        lo, hi = self.scale_range
        scale = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        angle = rng.uniform(-self.rotate, self.rotate)
        half = S / (2.0 * scale)  # half the crop side in image pixels
        if legible.any() and rng.random() < self.text_crop:
            q = quads[rng.choice(np.flatnonzero(legible))]
            lo_xy, hi_xy = q.min(0), q.max(0)
            # The centre may move so far that the word's box still fits; a word larger than the crop
            # gets a centre anywhere over it.
            slack = np.abs(half - (hi_xy - lo_xy) / 2.0)
            centre = (lo_xy + hi_xy) / 2.0 + rng.uniform(-1.0, 1.0, 2) * slack
        else:
            centre = rng.uniform((0.0, 0.0), (float(W), float(H)))
        m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle), float(scale))
        m[:, 2] += S / 2.0 - centre
        return m

    def __call__(self, image: np.ndarray, quads: np.ndarray, legible: np.ndarray, key=()) -> Tuple[np.ndarray, np.ndarray]:
        import cv2

        rng = np.random.default_rng((self.seed, *key))
        m = self.matrix(rng, image.shape, quads, legible)
        flags = cv2.INTER_LINEAR if self.train else cv2.INTER_NEAREST
        crop = cv2.warpAffine(image, m, (self.size, self.size), flags=flags, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=0)
        out = (quads.reshape(-1, 2).astype(np.float64) @ m[:, :2].T + m[:, 2]).astype(np.float32)
        return crop, out.reshape(-1, 4, 2)


def colour_augmentation():
    """Photometric jitter for incidental photographs (albumentations): colour, blur (motion and
    defocus: ICDAR 2015's wearable-camera photos are often blurred), sensor noise, occasional grey."""
    import albumentations as A

    return A.Compose([
        A.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.3, hue=0.05, p=0.8),
        A.OneOf([A.MotionBlur(blur_limit=(3, 7)), A.GaussianBlur(blur_limit=(3, 5))], p=0.2),
        A.GaussNoise(std_range=(0.01, 0.04), p=0.15),
        A.ToGray(p=0.05),
    ])


class EASTTrainDataset(torch.utils.data.Dataset):
    """Wraps a dataset of ``{"image": uint8 HxWx3 RGB, "instances": list[TextInstance]}`` items
    (``SynthDataset``, ``IcdarDataset``) into EAST training samples.

    Args:
        base: the dataset.
        input_size: crop side (multiple of 32).
        augment: random geometric augmentation (:class:`CropAugmentation`); False: pad/centre-crop only.
        pre_transform: optional albumentations-style callable applied to the full image first,
            called as ``pre_transform(image=..., instances=...)`` and returning a dict with
            ``"image"`` (e.g. selective text style transfer, which keeps the ground truth).
        scale_range, rotate: augmentation ranges (scale factors, log-uniform; degrees).
        seed: seed of the augmentation (None: fresh entropy). Each item's draw depends on
            (seed, epoch, index) only: call :meth:`set_epoch` every epoch.
        text_crop: probability that a crop is centred so that a legible word lies inside it.
        colour: photometric jitter (:func:`colour_augmentation`) when augmenting.

    Items: dict with ``image`` float32 (3, S, S) in [0, 1], ``score`` (1, S/4, S/4), ``geometry``
    (5, S/4, S/4), ``mask`` (1, S/4, S/4), and ``fixed`` / ``dropped`` quad counts.
    """

    def __init__(self, base, input_size: int = 512, augment: bool = True, pre_transform: Optional[Callable] = None,
                 scale_range=(0.5, 3.0), rotate: float = 10.0, seed: Optional[int] = None, text_crop: float = 0.0,
                 colour: bool = False):
        if input_size % 32:
            raise ValueError(f"input_size must be a multiple of 32, got {input_size}")
        self.base, self.size, self.pre_transform = base, int(input_size), pre_transform
        self.transform = CropAugmentation(self.size, scale_range, rotate, train=augment, text_crop=text_crop,
                                          seed=seed)
        self.colour = colour_augmentation() if (colour and augment) else None
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw the crops of ``epoch`` (each epoch sees new ones; a resumed run the same as before)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> Dict[str, torch.Tensor]:
        item = self.base[i]
        image, instances = item["image"], list(item["instances"])
        if self.pre_transform is not None:
            image = self.pre_transform(image=image, instances=instances)["image"]
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        quads = np.stack([np.asarray(t.quad, np.float32).reshape(4, 2) for t in instances]) if instances \
            else np.zeros((0, 4, 2), np.float32)
        ignore = [bool(t.ignore) or t.text == "###" for t in instances]
        crop, quads = self.transform(image, quads, ~np.asarray(ignore, bool), key=(self.epoch, int(i)))
        if self.colour is not None:
            self.colour.set_random_seed(int(np.random.default_rng((self.transform.seed, self.epoch, int(i), 1))
                                            .integers(2 ** 31)))
            crop = self.colour(image=crop)["image"]
        t = targets(crop.shape, quads, ignore=ignore)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).float().div_(255.0),
            "score": torch.from_numpy(t.score)[None],
            "geometry": torch.from_numpy(t.geometry),
            "mask": torch.from_numpy(t.mask)[None],
            "fixed": torch.tensor(t.fixed),
            "dropped": torch.tensor(t.dropped),
        }


class StyledCopies(torch.utils.data.Dataset):
    """A dataset plus ``k`` restyled copies of each image (the thesis' "k styles per image").

    Item ``j`` is image ``i = j // (k + 1)``: copy 0 is the original, copy ``c >= 1`` is restyled
    with style ``plan_styles(seed, str(i), pool, k)[c - 1]`` (distinct styles per image while
    ``k <= len(pool)``, fixed across epochs and processes) through ``style.apply`` of a
    :class:`textvision.augment.SelectiveTextStyle`. Ground truth is unchanged (the transform only
    touches text pixels). Restyled images are memoised per process when ``cache`` (small sets);
    for large sets run ``textvision augment`` once and train on its output instead.

    Args:
        base: dataset of ``{"image", "instances", ...}`` items.
        style: a ``SelectiveTextStyle`` (or anything with ``style_pool`` and ``apply(img, style=)``).
        k: restyled copies per image (0 = the base set unchanged).
        seed: style-plan seed.
        cache_dir: optional folder keeping each restyled image as ``<style>_<digest>.png`` (written
            atomically; the digest is a hash of the original image's pixels), reused by later runs, by
            other ``k`` of the same seed (the plan for ``k`` copies is the first ``k`` entries of a longer
            plan) and by other subsets of the same images. One folder per style model.
    """

    def __init__(self, base, style, k: int, seed: int = 0, cache: bool = True, cache_dir: Optional[str] = None):
        if int(k) < 0:
            raise ValueError(f"k (styles per image) must be >= 0, got {k}")
        self.base, self.style, self.k, self.seed, self.cache = base, style, int(k), int(seed), cache
        self.cache_dir = cache_dir
        if cache_dir is not None:
            os.makedirs(cache_dir, exist_ok=True)
        self._memo: Dict[Tuple[int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.base) * (self.k + 1)

    def style_of(self, j: int) -> Optional[str]:
        """Style name of item ``j`` (None for originals)."""
        i, c = divmod(int(j), self.k + 1)
        if c == 0:
            return None
        from textvision.augment import plan_styles

        return plan_styles(self.seed, str(i), list(self.style.style_pool), self.k)[c - 1]

    def __getitem__(self, j: int):
        i, c = divmod(int(j), self.k + 1)
        item = dict(self.base[i])
        if c:
            key = (i, c)
            img = self._memo.get(key)
            if img is None:
                name = self.style_of(j)
                path = os.path.join(self.cache_dir, f"{name}_{_digest(item['image'])}.png") if self.cache_dir else None
                if path and os.path.isfile(path):
                    from textvision.io import read_rgb

                    img = read_rgb(path)
                else:
                    img = self.style.apply(item["image"], style=name)
                    if path:
                        from textvision.io import write_image

                        write_image(path, img)
                if self.cache:
                    self._memo[key] = img
            item["image"] = img
        return item


def _digest(image: np.ndarray) -> str:
    """Content hash of an image (pixels and shape): the restyled-image cache is keyed by what was restyled."""
    import hashlib

    a = np.ascontiguousarray(image)
    return hashlib.blake2b(a.tobytes() + repr(a.shape).encode(), digest_size=8).hexdigest()


def collate_east(items: Sequence[Dict[str, torch.Tensor]]) -> Dict[str, torch.Tensor]:
    """Stack :class:`EASTTrainDataset` items into a batch."""
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


# ------------------------------------------------------------------------------------------------
# checkpoints


# save_east lives beside the network (textvision.models.east) and is re-exported here.


# ------------------------------------------------------------------------------------------------
# evaluation


def evaluate_east(model: EAST, dataset, *, max_side: int = 1280, score_threshold: float = 0.8,
                  nms_threshold: float = DETECT_NMS, box_threshold: float = 0.1, progress: bool = False,
                  bf16: bool = False) -> DetectionScores:
    """Detect on every image of ``dataset`` (items with ``image`` and ``instances``) and score with
    the ICDAR 2015 protocol (:func:`textvision.eval.icdar2015`).

    Returns:
        :class:`~textvision.eval.DetectionScores` (``precision``, ``recall``, ``hmean`` in [0, 1], counts,
        per image).
    """
    from textvision.eval.iou_protocol import icdar2015

    gts, dets = [], []
    it = range(len(dataset))
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="validate", leave=False)
    was_training = model.training
    for i in it:
        item = dataset[i]
        det = detect(item["image"], model, max_side=max_side, score_threshold=score_threshold,
                     nms_threshold=nms_threshold, box_threshold=box_threshold, bf16=bf16)
        gts.append(list(item["instances"]))
        dets.append(det.quads)
    model.train(was_training)
    return icdar2015(gts, dets)


# ------------------------------------------------------------------------------------------------
# training


def train_east(config: EASTTrainConfig, train_set, val_set=None, out: Optional[str] = None, *, resume: bool = False,
               pre_transform: Optional[Callable] = None, log: Optional[Callable[[str], None]] = None) -> TrainResult:
    """Train EAST.

    Args:
        config: :class:`EASTTrainConfig`.
        train_set: dataset of ``{"image", "instances"}`` items (wrapped in :class:`EASTTrainDataset`).
        val_set: optional dataset of the same kind, scored with ICDAR 2015 after every epoch.
        out: checkpoint path, written after every epoch (``<out>`` = last; ``<stem>.best.pt`` = best
            validation H-mean). None: no checkpoint. Its folder is checked for writability before any
            training, and an existing ``out`` is never overwritten unless ``resume``.
        resume: continue from ``out`` when it exists (model, optimiser, scheduler, epoch, history).
        pre_transform: optional image transform applied before the geometric augmentation (style
            augmentation; see :class:`EASTTrainDataset`).
        log: where the per-epoch lines go (rank 0 only); default: ``logging.getLogger("textvision.east")``
            at INFO level.

    Under ``torchrun`` (``WORLD_SIZE`` > 1) each process trains on its shard with
    DistributedDataParallel (gloo on CPU, nccl on GPU); rank 0 validates and writes checkpoints.

    Returns:
        :class:`~textvision.training.TrainResult`: the EAST model (unwrapped), the per-epoch history
        (``epoch``, the losses, ``lr``, ``seconds`` and, with ``val_set``, ``precision``, ``recall``,
        ``hmean``), ``checkpoint`` = ``out``, and the epoch and H-mean of the best validation.

    Raises:
        FileExistsError: ``out`` exists and ``resume`` is False. ValueError: ``out`` cannot be written
            (raised before training), or the checkpoint to resume is not an EAST one of this backbone.
    """
    import torch.distributed as dist
    from torch.utils.data import DataLoader, DistributedSampler

    from textvision.io import check_output_file

    t_start = time.time()
    if log is None:
        log = logger.info
    best_path = None
    if out:
        out = os.fspath(out)
        stem, ext = os.path.splitext(out)
        best_path = f"{stem}.best{ext or '.pt'}"
        # Both checks come first: a run must not train for hours and then lose its result at the save.
        for existing in (out, best_path):
            if not resume and os.path.exists(existing):
                raise FileExistsError(f"{existing} exists; continue that run with resume=True or choose another "
                                      f"output path")
        check_output_file(out, what="checkpoint")

    ctx = setup_distributed(config.device)
    world, rank, device, distributed, main = ctx.world, ctx.rank, ctx.device, ctx.distributed, ctx.main
    torch.manual_seed(config.seed + rank)
    np.random.seed((config.seed + rank) % 2 ** 32)

    aug_seed = (config.seed * 1_000_003 + rank * 10_007) % 2 ** 31
    data = EASTTrainDataset(train_set, config.input_size, augment=config.augment, pre_transform=pre_transform,
                            scale_range=config.scale_range, rotate=config.rotate, seed=aug_seed,
                            text_crop=config.text_crop, colour=config.colour)
    if len(data) == 0:
        raise ValueError("the training set is empty")
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=config.seed) \
        if distributed else None
    generator = torch.Generator().manual_seed(config.seed)

    def _worker_init(wid):
        # The crops are drawn from (seed, epoch, index) alone; numpy's global state is seeded for any
        # user transform, distinct per worker.
        np.random.seed((torch.initial_seed() + wid) % 2 ** 32)

    # Workers are started afresh every epoch (not persistent) so that they see set_epoch's epoch.
    loader = DataLoader(data, batch_size=config.batch_size, shuffle=sampler is None, sampler=sampler,
                        num_workers=config.workers, collate_fn=collate_east, drop_last=len(data) >= 2 * config.batch_size * world,
                        generator=generator, worker_init_fn=_worker_init)

    model = east(config.backbone, backbone_weights=config.backbone_weights).to(device)
    resuming = bool(resume and out and os.path.isfile(out))
    if config.init is not None and not resuming:
        start = east(weights=config.init)
        if start.backbone_name != config.backbone or start.config() != model.config():
            raise ValueError(f"init weights {config.init}: EAST config {start.config()} does not match the "
                             f"configured {model.config()}")
        model.load_state_dict(start.state_dict())
    if config.freeze_stages:
        model.freeze_backbone(config.freeze_stages)
    criterion = EASTLoss(config.score_loss, angle_weight=config.angle_weight)
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                             weight_decay=config.weight_decay)
    total_steps = max(1, config.epochs * len(loader))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))
    history: List[dict] = []
    start_epoch, best = 0, -1.0
    if resuming:
        ckpt = load_checkpoint(out, CHECKPOINT_KIND, map_location=device)
        if ckpt["config"].get("backbone") != config.backbone:
            raise ValueError(f"{out}: checkpoint backbone {ckpt['config'].get('backbone')!r} != {config.backbone!r}")
        model.load_state_dict(ckpt["state_dict"])
        if "optimizer" in ckpt:
            optim.load_state_dict(ckpt["optimizer"])
        if "scheduler" in ckpt:
            sched.load_state_dict(ckpt["scheduler"])
        start_epoch = int(ckpt.get("epoch", 0))
        history = list(ckpt.get("history", []))
        best = float(ckpt.get("best_hmean", -1.0))
        if main:
            log(f"resumed from {out} at epoch {start_epoch}")
    # NHWC: oneDNN's convolutions run ~1.3x faster on a CPU in that layout (same values up to rounding).
    # Not under DDP: its gradient buckets assume the parameters' layout, and channels-last convolutions
    # can hand back weight gradients in another one (measured: wrong averaged gradients in the
    # two-process equivalence test).
    layout = torch.contiguous_format if distributed else torch.channels_last
    model.to(memory_format=layout)
    net = model
    if distributed:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    for epoch in range(start_epoch, config.epochs):
        data.set_epoch(epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        # The shuffle order is a function of (seed, epoch), not of how many epochs this process ran:
        # a resumed run then sees the batches an uninterrupted one would.
        generator.manual_seed(config.seed * 1_000_003 + epoch)
        net.train()
        t0 = time.time()
        sums = torch.zeros(5, dtype=torch.float64)  # total, score, iou, angle, batches
        bar = loader
        if main and config.progress:
            from tqdm import tqdm

            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", leave=False, dynamic_ncols=True)
        for batch in bar:
            x = batch["image"].to(device, non_blocking=True).contiguous(memory_format=layout)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16):
                pred = net(x)
            parts = criterion(pred.score.float(), pred.geometry.float(), batch["score"].to(device),
                              batch["geometry"].to(device), batch["mask"].to(device))
            optim.zero_grad(set_to_none=True)
            parts.total.backward()
            norm = torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 10.0)
            # A non-finite loss or gradient would poison the weights and every later checkpoint: stop
            # before the update; the last epoch's checkpoint stays intact for --resume.
            if not (torch.isfinite(parts.total.detach()) and torch.isfinite(norm)):
                raise FloatingPointError(f"EAST training: the loss or its gradients became non-finite in epoch "
                                         f"{epoch + 1}; {out or 'the model'} keeps the last finished epoch")
            optim.step()
            sched.step()
            sums += torch.tensor([parts.total.item(), parts.score.item(), parts.iou.item(), parts.angle.item(), 1.0],
                                 dtype=torch.float64)
            if bar is not loader:
                bar.set_postfix(loss=f"{parts.total.item():.3f}")
        if distributed:
            dist.all_reduce(sums)
        n = max(sums[4].item(), 1.0)
        rec = {"epoch": epoch + 1, "loss": sums[0].item() / n, "score_loss": sums[1].item() / n,
               "iou_loss": sums[2].item() / n, "angle_loss": sums[3].item() / n, "lr": optim.param_groups[0]["lr"]}
        if main and val_set is not None and len(val_set):
            val = evaluate_east(model, val_set, max_side=config.val_max_side,
                                score_threshold=config.score_threshold, nms_threshold=config.nms_threshold,
                                box_threshold=config.box_threshold, progress=config.progress, bf16=config.bf16)
            rec.update(precision=val.precision, recall=val.recall, hmean=val.hmean)
        rec["seconds"] = time.time() - t0
        history.append(rec)
        if main:
            line = (f"epoch {rec['epoch']}/{config.epochs}  loss {rec['loss']:.4f} (score {rec['score_loss']:.3f}, "
                    f"iou {rec['iou_loss']:.3f}, angle {rec['angle_loss']:.4f})")
            if "hmean" in rec:
                line += f"  val P {rec['precision']:.3f} R {rec['recall']:.3f} H {rec['hmean']:.3f}"
            log(line + f"  {rec['seconds']:.1f}s")
            if "hmean" in rec and rec["hmean"] > best:
                best = rec["hmean"]
                if best_path:
                    save_east(best_path, model, epoch=epoch + 1, train_config=asdict(config), best_hmean=best)
            if out:
                save_east(out, model, optimizer=optim.state_dict(), scheduler=sched.state_dict(), epoch=epoch + 1,
                          history=history, best_hmean=best, train_config=asdict(config))
        if distributed:
            dist.barrier()
    if distributed:
        from textvision._distributed import shutdown_distributed

        del net
        shutdown_distributed()
    # Back to the default layout: the returned model then computes exactly what a loaded checkpoint does.
    model.to(memory_format=torch.contiguous_format)
    model.eval()
    best_epoch, best_score = best_of(history, "hmean")
    return TrainResult(model=model, history=tuple(history), checkpoint=out or None, best_epoch=best_epoch,
                       best_score=best_score, seconds=time.time() - t_start)
