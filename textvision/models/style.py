"""StyleNet: the conditional-instance-norm image transformer (Dumoulin et al., ICLR 2017).

One network holds N styles: every normalisation layer is a :class:`ConditionalInstanceNorm2d` with a
(gamma, beta) pair per style, and the rest of the weights are shared. Mixing styles is a convex
combination of those pairs (the thesis' style interpolation), so a one-hot mix *is* the single style.

Architecture (DESIGN.md): conv 9x9 -> 32, conv 3x3/2 -> 64, conv 3x3/2 -> 128, five residual blocks,
nearest x2 upsample + conv 3x3 -> 64, nearest x2 upsample + conv 3x3 -> 32, conv 9x9 -> 3, sigmoid.
Reflection padding everywhere. ``base_channels`` and ``num_res_blocks`` shrink it for tests.

Tensors: input ``float32 (B, 3, H, W)`` RGB in [0, 1]; output the same shape in (0, 1). Any H, W >= 1
works: the input is padded to a multiple of 4 and the output cropped back.
"""
from __future__ import annotations

import os
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from textvision.models.vgg import normalize_imagenet
from textvision.models.working_size import DEFAULT_MAX_SIDE, DEFAULT_MAX_UPSCALE, work_size

__all__ = ["ConditionalInstanceNorm2d", "StyleNet", "style_net", "style_net_from_checkpoint", "read_checkpoint",
           "style_weights_path"]

KINDS = ("two-stage", "distilled")
# Tolerance on sum(weights) == 1: loose enough for float32 weights typed by hand ("a:0.3,b:0.7").
_WEIGHT_SUM_TOL = 1e-3


class ConditionalInstanceNorm2d(nn.Module):
    """Instance norm whose affine (gamma, beta) is chosen by a style weight vector.

    Args:
        num_features: channels C.
        num_styles: styles S; gamma/beta tables are ``(S, C)``, initialised to 1 / 0.

    ``forward(x, weights)``: ``x`` float (B, C, H, W); ``weights`` float (B, S), rows summing to 1.
    The per-sample affine is ``weights @ gamma``, ``weights @ beta``.
    """

    def __init__(self, num_features: int, num_styles: int, eps: float = 1e-5):
        super().__init__()
        self.num_features = int(num_features)
        self.num_styles = int(num_styles)
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(num_styles, num_features))
        self.beta = nn.Parameter(torch.zeros(num_styles, num_features))

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        # Plain instance norm without running stats: train and eval behave the same, as in the paper.
        x = F.instance_norm(x, eps=self.eps)
        gamma = (weights @ self.gamma)[:, :, None, None]
        beta = (weights @ self.beta)[:, :, None, None]
        return x * gamma + beta

    def extra_repr(self) -> str:
        return f"{self.num_features}, num_styles={self.num_styles}"


class _ConvCIN(nn.Module):
    """Reflection-padded conv + conditional instance norm (+ ReLU)."""

    def __init__(self, cin, cout, k, stride, num_styles, relu=True, upsample=False):
        super().__init__()
        self.upsample = upsample
        self.pad = nn.ReflectionPad2d(k // 2)
        self.conv = nn.Conv2d(cin, cout, k, stride)
        self.norm = ConditionalInstanceNorm2d(cout, num_styles)
        self.relu = relu

    def forward(self, x, w):
        if self.upsample:
            # Nearest upsample + conv instead of a transposed conv: no checkerboard artefacts.
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.norm(self.conv(self.pad(x)), w)
        return F.relu(x) if self.relu else x


class _Residual(nn.Module):
    def __init__(self, c, num_styles):
        super().__init__()
        self.a = _ConvCIN(c, c, 3, 1, num_styles)
        self.b = _ConvCIN(c, c, 3, 1, num_styles, relu=False)

    def forward(self, x, w):
        return x + self.b(self.a(x, w), w)


class StyleNet(nn.Module):
    """Multi-style feed-forward transformer with conditional instance norm.

    Args:
        num_styles: number of styles S (>= 1).
        style_names: optional S names (default ``style0 .. style{S-1}``); used to pick styles by name.
        base_channels: width of the first conv (32 in the paper); the others are 2x and 4x.
        num_res_blocks: residual blocks at 1/4 resolution (5 in the paper).
        kind: ``"two-stage"`` (a teacher, used with a TextFCN blend) or ``"distilled"`` (end-to-end,
            restyles only text by itself).
        gated: add a 4th output channel, a gate ``g``, and return ``g * stylized + (1 - g) * input``
            (initialised nearly closed). The distilled default: a plain fresh StyleNet must re-learn
            the identity through its stride-4 bottleneck and stays tens of grey levels off outside
            the text after short training (``tools/distill_lambdas.py --plain``); the gate makes
            "leave the background alone" the starting point.
        gate_fcn: instead of the 4th channel, take the gate from a TextFCN branch inside the network
            (``gate_net``, built from this :class:`~textvision.models.text_fcn.TextFCN` config; needs
            ``gated``): ``g = P`` where the branch's text probability ``P >= gate_threshold``, else 0 —
            the two-stage blend, computed by the network itself. Why: a gate learned from the style
            decoder's features opens on bright non-text objects of real photographs (a white shirt, a
            car), while a segmenter trained on real photographs does not; and a separate, small
            segmenter branch lets the style branch be narrow, which is what makes the student fast.
        gate_threshold: see ``gate_fcn``.

    Attributes:
        style_names: list[str] of length S.
        style_images: None, or S small ``uint8`` (h, w, 3) RGB thumbnails of the styles' source images
            (what each style looks like; stored in checkpoints, drawn by ``textvision styles``). Set
            with :meth:`set_style_images`.
        kind: see above.
        config: the constructor arguments as a plain dict (stored in checkpoints).
    """

    def __init__(self, num_styles: int, style_names: Optional[Sequence[str]] = None, *,
                 base_channels: int = 32, num_res_blocks: int = 5, kind: str = "two-stage",
                 gated: bool = False, gate_fcn: Optional[Mapping] = None, gate_threshold: float = 0.6):
        super().__init__()
        if int(num_styles) < 1:
            raise ValueError(f"num_styles must be >= 1, got {num_styles}")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        num_styles = int(num_styles)
        if style_names is None:
            style_names = [f"style{i}" for i in range(num_styles)]
        style_names = [str(n) for n in style_names]
        if len(style_names) != num_styles:
            raise ValueError(f"got {len(style_names)} style_names for num_styles={num_styles}")
        if len(set(style_names)) != len(style_names):
            raise ValueError(f"style_names must be unique, got {style_names}")
        self.num_styles = num_styles
        self.style_names = style_names
        self.style_images: Optional[list] = None
        self.kind = kind
        self.gated = bool(gated)
        if gate_fcn is not None and not self.gated:
            raise ValueError("gate_fcn needs gated=True (the TextFCN branch is the output gate)")
        if not 0.0 <= float(gate_threshold) <= 1.0:
            raise ValueError(f"gate_threshold must lie in [0, 1], got {gate_threshold}")
        self.config = {"num_styles": num_styles, "base_channels": int(base_channels),
                       "num_res_blocks": int(num_res_blocks), "gated": self.gated}
        self.gate_net = None
        self.gate_threshold = float(gate_threshold)
        if gate_fcn is not None:
            from textvision.models.text_fcn import build_text_fcn

            self.gate_net = build_text_fcn(dict(gate_fcn))
            # Stored only when used, so older checkpoints' configs still describe their networks.
            self.config.update(gate_fcn=dict(self.gate_net.config), gate_threshold=self.gate_threshold)
        c1, c2, c3 = base_channels, 2 * base_channels, 4 * base_channels
        s = num_styles
        self.down = nn.ModuleList([
            _ConvCIN(3, c1, 9, 1, s), _ConvCIN(c1, c2, 3, 2, s), _ConvCIN(c2, c3, 3, 2, s)])
        self.res = nn.ModuleList([_Residual(c3, s) for _ in range(num_res_blocks)])
        self.up = nn.ModuleList([
            _ConvCIN(c3, c2, 3, 1, s, upsample=True), _ConvCIN(c2, c1, 3, 1, s, upsample=True)])
        self.out_pad = nn.ReflectionPad2d(4)
        self.out_conv = nn.Conv2d(c1, 4 if gated and self.gate_net is None else 3, 9, 1)
        if gated and self.gate_net is None:
            # Start nearly closed (sigmoid(-6) ~ 0.0025): a fresh student begins as the identity and only
            # has to learn where to open the gate, instead of learning to copy the input through the
            # stride-4 bottleneck, which it cannot do to within a few grey levels.
            with torch.no_grad():
                self.out_conv.bias[3] = -6.0

    def train(self, mode: bool = True) -> "StyleNet":
        """As ``nn.Module.train``, but a TextFCN gate branch (``gate_fcn``) stays in eval mode: it is a
        fixed segmenter inside the network, and training the style branch must not move its
        BatchNorm statistics."""
        super().train(mode)
        if self.gate_net is not None:
            self.gate_net.eval()
        return self

    def set_style_images(self, images) -> None:
        """Attach one thumbnail per style (or None to drop them).

        Args:
            images: S images, each ``uint8`` (h, w, 3) RGB as a NumPy array or tensor (copied), in
                style order.

        Raises:
            ValueError / TypeError: another count than S, or an image that is not uint8 (h, w, 3).
        """
        if images is None:
            self.style_images = None
            return
        images = list(images)
        if len(images) != self.num_styles:
            raise ValueError(f"got {len(images)} style images for {self.num_styles} styles {self.style_names}")
        out = []
        for name, im in zip(self.style_names, images):
            a = im.detach().cpu().numpy() if isinstance(im, torch.Tensor) else np.asarray(im)
            if a.dtype != np.uint8:
                raise TypeError(f"style image of {name!r} must be uint8, got {a.dtype}")
            if a.ndim != 3 or a.shape[2] != 3 or min(a.shape[:2]) < 1:
                raise ValueError(f"style image of {name!r} must be (h, w, 3) RGB, got shape {a.shape}")
            out.append(np.array(a, copy=True))
        self.style_images = out

    # ------------------------------------------------------------------ style selection
    def subset(self, styles: Sequence) -> "StyleNet":
        """A new network holding only ``styles`` (names or indices, in the given order): every other
        weight is shared by copy, each conditional norm keeps those styles' (gamma, beta) rows, and the
        thumbnails follow. ``subset([...])(x, name)`` equals ``self(x, name)`` exactly.

        Raises:
            ValueError: no style, an unknown one, or one given twice.
        """
        idx = [self.style_index(s) for s in styles]
        if not idx or len(set(idx)) != len(idx):
            raise ValueError(f"subset needs distinct styles, got {list(styles)!r}")
        cfg = self.config
        out = StyleNet(len(idx), [self.style_names[i] for i in idx], base_channels=cfg["base_channels"],
                       num_res_blocks=cfg["num_res_blocks"], kind=self.kind, gated=self.gated,
                       gate_fcn=cfg.get("gate_fcn"), gate_threshold=self.gate_threshold)
        sel = torch.as_tensor(idx)
        state = {k: (v[sel].clone() if k.endswith((".gamma", ".beta")) else v.clone())
                 for k, v in self.state_dict().items()}
        out.load_state_dict(state, strict=True)
        if self.gate_net is not None:
            out.gate_net.requires_grad_(False)
        if self.style_images is not None:
            out.set_style_images([self.style_images[i] for i in idx])
        return out.train(self.training)

    def style_index(self, style) -> int:
        """Index of one style given by name or index (``ValueError`` naming the known styles)."""
        if isinstance(style, str):
            if style not in self.style_names:
                raise ValueError(f"unknown style {style!r}; this model has styles {self.style_names}")
            return self.style_names.index(style)
        if isinstance(style, (bool, np.bool_)):
            raise TypeError(f"style must be a name or an index, got {style!r}")
        if isinstance(style, (int, np.integer)):
            if not 0 <= int(style) < self.num_styles:
                raise ValueError(f"style index {int(style)} out of range for {self.num_styles} styles "
                                 f"{self.style_names}")
            return int(style)
        raise TypeError(f"style must be a name (str) or an index (int), got {type(style).__name__}")

    def style_weights(self, style, batch_size: int = 1, device=None) -> torch.Tensor:
        """Turn any accepted ``style`` into a ``float32 (batch_size, S)`` weight matrix.

        Accepted: a name or index (one style for the whole batch); a list/tuple of names/indices or an
        integer tensor of shape (B,) (one style per sample); a dict ``{name or index: weight}``; a float
        vector (S,) or matrix (B, S) as list, ndarray or tensor. Weights must be >= 0 and sum to 1
        (a convex mix); anything else is a ``ValueError``.
        """
        S = self.num_styles
        if isinstance(style, (str, int, np.integer)) and not isinstance(style, (bool, np.bool_)):
            w = torch.zeros(1, S)
            w[0, self.style_index(style)] = 1.0
        elif isinstance(style, Mapping):
            w = torch.zeros(1, S)
            for key, value in style.items():
                w[0, self.style_index(key)] += float(value)
            w = self._check_weights(w)
        elif isinstance(style, (list, tuple)) and len(style) and all(
                isinstance(s, (str, int, np.integer)) and not isinstance(s, (bool, np.bool_)) for s in style):
            idx = torch.tensor([self.style_index(s) for s in style])
            w = F.one_hot(idx, S).float()
        else:
            # np.array copies: a read-only weight vector would otherwise become a tensor sharing its
            # memory (torch warns that writing to it is undefined)
            t = torch.as_tensor(np.array(style) if isinstance(style, (list, tuple, np.ndarray)) else style)
            if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
                if t.dim() > 1:
                    raise ValueError(f"style indices must have shape (B,), got {tuple(t.shape)}")
                idx = t.reshape(-1).long()
                if idx.numel() and (idx.min() < 0 or idx.max() >= S):
                    raise ValueError(f"style indices {idx.tolist()} out of range for {S} styles")
                w = F.one_hot(idx, S).float()
            elif t.is_floating_point():
                if t.dim() == 1:
                    t = t[None]
                if t.dim() != 2 or t.shape[1] != S:
                    raise ValueError(f"style weights must have shape ({S},) or (B, {S}), got {tuple(t.shape)}")
                w = self._check_weights(t.float())
            else:
                raise TypeError(f"unsupported style specification of type {type(style).__name__}")
        if w.shape[0] == 1 and batch_size != 1:
            w = w.expand(batch_size, S)
        elif w.shape[0] != batch_size:
            raise ValueError(f"style gives {w.shape[0]} rows of weights for a batch of {batch_size}")
        return w.to(device) if device is not None else w

    @staticmethod
    def _check_weights(w: torch.Tensor) -> torch.Tensor:
        if not torch.isfinite(w).all() or (w < 0).any():
            raise ValueError(f"style weights must be finite and >= 0, got {w.tolist()}")
        sums = w.sum(dim=1)
        if ((sums - 1).abs() > _WEIGHT_SUM_TOL).any():
            raise ValueError(f"style weights must sum to 1 (a convex mix), got sums {sums.tolist()}")
        return w / sums[:, None]  # remove float rounding so one-hot mixes are exact

    # ------------------------------------------------------------------ forward
    def _logits(self, x: torch.Tensor, style) -> torch.Tensor:
        """Output-conv activations (B, 3 or 4, H, W) before the sigmoid(s)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"StyleNet expects a float tensor (B, 3, H, W), got "
                             f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"StyleNet expects a float tensor in [0, 1], got dtype {x.dtype}")
        B, _, H, W = x.shape
        w = self.style_weights(style, B, device=x.device).to(dtype=x.dtype)
        # Pad to a multiple of 4 (two stride-2 stages) and to >= 8 so the 1/4-scale reflection pads fit.
        h = _pad_to(x, max(8, -(-H // 4) * 4), max(8, -(-W // 4) * 4))
        for layer in self.down:
            h = layer(h, w)
        for block in self.res:
            h = block(h, w)
        for layer in self.up:
            h = layer(h, w)
        return self.out_conv(self.out_pad(h))[:, :, :H, :W]

    def forward(self, x: torch.Tensor, style, return_gate_logits: bool = False, ungated: bool = False):
        """Stylize ``x`` float (B, 3, H, W) in [0, 1] with ``style`` (see :meth:`style_weights`).

        Returns float (B, 3, H, W) in [0, 1]: ``sigmoid(rgb)``, or for a gated network
        ``g * sigmoid(rgb) + (1 - g) * x`` with the gate ``g`` (``sigmoid`` of the 4th channel, or the
        TextFCN branch's, see ``gate_fcn``). ``return_gate_logits=True`` (a 4th-channel gate only)
        returns ``(output, gate logits (B, 1, H, W))``; ``ungated=True`` returns ``sigmoid(rgb)``, the
        style branch alone, for any network (what distillation trains next to a TextFCN gate).
        """
        h = self._logits(x, style)
        if ungated:
            if return_gate_logits:
                raise ValueError("ungated and return_gate_logits exclude each other")
            return torch.sigmoid(h[:, :3])
        if not self.gated:
            if return_gate_logits:
                raise ValueError("return_gate_logits needs a gated StyleNet")
            return torch.sigmoid(h)
        if self.gate_net is not None:
            if return_gate_logits:
                raise ValueError("return_gate_logits needs a gate of the style decoder's own; this network's "
                                 "gate is its TextFCN branch (gate_fcn)")
            gate = self._fcn_gate(x)
        else:
            gate = torch.sigmoid(h[:, 3:4])
        out = gate * torch.sigmoid(h[:, :3]) + (1 - gate) * x
        return (out, h[:, 3:4]) if return_gate_logits else out

    def _fcn_gate(self, x: torch.Tensor) -> torch.Tensor:
        """The TextFCN branch's gate (B, 1, H, W): P where P >= gate_threshold, else exactly 0.

        The branch sees the image at ``textvision.segment``'s working size (longer side 1280, at most
        2x upscaled), as the two-stage teacher's map does: at a 640 px photo's own size the segmenter
        misses small words."""
        H, W = x.shape[-2:]
        h, w = work_size(H, W, DEFAULT_MAX_SIDE, DEFAULT_MAX_UPSCALE)
        xi = x if (h, w) == (H, W) else F.interpolate(
            x, size=(h, w), mode="area" if h < H else "bilinear", **({} if h < H else {"align_corners": False}))
        p = torch.softmax(self.gate_net(normalize_imagenet(xi)).float(), dim=1)[:, 1:2]
        if (h, w) != (H, W):
            p = F.interpolate(p, size=(H, W), mode="bilinear", align_corners=False).clamp(0, 1)
        p = p.to(x.dtype)
        return torch.where(p >= self.gate_threshold, p, torch.zeros_like(p))

    @torch.no_grad()
    def gate(self, x: torch.Tensor, style) -> torch.Tensor:
        """Gated networks only: the text gate, float (B, 1, H, W) in [0, 1] (1 = restyled)."""
        if not self.gated:
            raise ValueError("gate() needs a gated StyleNet (gated=True, the distilled default)")
        if self.gate_net is not None:
            return self._fcn_gate(x)
        return torch.sigmoid(self._logits(x, style)[:, 3:4])


def _pad_to(x: torch.Tensor, Hp: int, Wp: int) -> torch.Tensor:
    H, W = x.shape[-2:]
    ph, pw = Hp - H, Wp - W
    if ph == 0 and pw == 0:
        return x
    # Reflect where the image is big enough (keeps statistics natural), replicate for tiny inputs.
    mode = "reflect" if ph < H and pw < W else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def style_net(num_styles: Optional[int] = None, style_names: Optional[Sequence[str]] = None, *,
              weights: Union[str, os.PathLike, None] = None, **kwargs) -> StyleNet:
    """A :class:`StyleNet`: untrained (``weights=None``) or read from a style checkpoint.

    ``style_net(4)`` is an untrained four-style network; ``style_net(weights="default")`` the shipped two-stage
    model (``style_default``), ``style_net(weights="default-distilled")`` the shipped distilled one; the file's
    config, kind, style names and thumbnails rebuild the network.

    Args:
        num_styles: styles of an untrained network (required when ``weights`` is None).
        style_names: their names (see :class:`StyleNet`); untrained networks only.
        weights: None = untrained (random initialisation), always. A ``style`` registry name (``"default"``,
            ``"default-distilled"``; see ``textvision weights``) or a checkpoint path (``textvision
            train-style`` / ``textvision distill``) = that file, read with ``weights_only=True`` (a file that
            needs code to unpickle is refused) and loaded strict, in eval mode on the CPU.
        kwargs: more :class:`StyleNet` arguments (``base_channels``, ``kind``, ``gated``...), untrained only.

    Returns:
        :class:`StyleNet`: input float32 (B, 3, H, W) RGB in [0, 1]; ``style_names``, ``style_images``
        (thumbnails, or None for checkpoints written before they existed) and ``kind`` set from the file.

    Raises:
        ValueError: no ``num_styles`` and no ``weights``, network arguments together with ``weights``, an
            unknown registry name, a file that is no style checkpoint, weights that do not fit.
        FileNotFoundError: no such file.
    """
    if weights is None:
        if num_styles is None:
            raise ValueError("style_net needs num_styles for an untrained network, or weights= (a registry "
                             "name such as 'default', or a checkpoint path)")
        return StyleNet(num_styles, style_names, **kwargs)
    if num_styles is not None or style_names is not None or kwargs:
        raise ValueError("style_net: a checkpoint (weights=) decides the network; num_styles, style_names and "
                         "other StyleNet arguments are for untrained networks only")
    path = style_weights_path(weights)
    return style_net_from_checkpoint(read_checkpoint(path), path)


def style_weights_path(weights: Union[str, os.PathLike]) -> str:
    """Turn a style ``weights`` argument (a registry name or a checkpoint path) into a verified file path.

    Raises:
        ValueError: ``None``, or an unknown registry name (the message lists the registered ones).
        FileNotFoundError: a path that does not exist.
    """
    from textvision.weights import resolve

    if weights is None:
        raise ValueError("a style checkpoint is needed: 'default', 'default-distilled', or a checkpoint path "
                         "from `textvision train-style` / `textvision distill`")
    return os.fspath(resolve(weights, "style"))


def read_checkpoint(path: Union[str, os.PathLike], device="cpu") -> dict:
    """Read and validate a style checkpoint dict (safe: ``weights_only=True``).

    Args:
        path: a checkpoint file, or a registry name (see :func:`style_weights_path`).
        device: ``map_location`` for its tensors.

    Raises:
        FileNotFoundError / ValueError: one line naming the file (missing, not a checkpoint, a file that
            needs code to unpickle, another kind of checkpoint, no ``style_names``).
    """
    from textvision.checkpoint import load_checkpoint

    path = style_weights_path(path)
    ckpt = load_checkpoint(path, KINDS, map_location=device)
    if not isinstance(ckpt.get("style_names"), (list, tuple)):
        raise ValueError(f"{path}: not a textvision style checkpoint (a {ckpt['kind']!r} checkpoint without "
                         f"'style_names')")
    return ckpt


def style_net_from_checkpoint(ckpt: dict, path: Union[str, os.PathLike] = "checkpoint") -> StyleNet:
    """The :class:`StyleNet` a style checkpoint dict (:func:`read_checkpoint`) describes, loaded strict, in
    eval mode. Reads no file: :func:`style_net` does that; this is for callers that keep the rest of the
    dict (a resumed training).

    Raises:
        ValueError: weights that do not fit the stored config (one line naming ``path``).
    """
    cfg = dict(ckpt["config"])
    num_styles = cfg.pop("num_styles", len(ckpt["style_names"]))
    model = StyleNet(num_styles, list(ckpt["style_names"]), kind=ckpt["kind"], **cfg)
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except RuntimeError as exc:
        # torch's message spreads the missing / unexpected keys over several lines: one line, bounded.
        detail = " ".join(str(exc).split())[:300]
        raise ValueError(f"{path}: weights do not match the StyleNet config {ckpt['config']}: {detail}") from None
    images = ckpt.get("style_images")
    if images is not None:
        try:
            model.set_style_images(images)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad style thumbnails in the checkpoint: {exc}") from None
    return model.eval()
