"""EAST loss: score loss (dice or class-balanced cross-entropy) + IoU loss on the RBOX distances +
angle loss ``1 - cos(dtheta)``, all restricted to the training mask."""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

__all__ = ["EASTLoss", "EASTLossParts"]


class EASTLossParts(NamedTuple):
    """total = score_weight * score + iou_weight * iou + angle_weight * angle (scalar tensors)."""

    total: torch.Tensor
    score: torch.Tensor
    iou: torch.Tensor
    angle: torch.Tensor


class EASTLoss(nn.Module):
    """EAST's loss (Zhou et al. 2017, Eq. 4-10).

    Args:
        score_loss: ``"dice"`` (as most public ports) or ``"balanced_bce"`` (the paper's
            class-balanced cross-entropy, beta = 1 - positives / cared-for cells).
        score_weight, iou_weight, angle_weight: loss weights (paper: lambda_g = 1, lambda_theta = 10).
        eps: smoothing of the dice ratio; the loss is exactly 0 at a perfect prediction.

    ``forward(pred_score, pred_geometry, score, geometry, mask)`` takes (B, 1, h, w) / (B, 5, h, w)
    predictions (as :class:`textvision.models.east.EASTOutput`) and targets score (B, h, w) or
    (B, 1, h, w) in {0, 1}, geometry (B, 5, h, w), mask (B, h, w) or (B, 1, h, w) in {0, 1}, and
    returns :class:`EASTLossParts`. The geometry terms are means over positive, cared-for cells (0
    when an image has none).
    """

    def __init__(self, score_loss: str = "dice", *, score_weight: float = 1.0, iou_weight: float = 1.0,
                 angle_weight: float = 10.0, eps: float = 1e-5):
        super().__init__()
        if score_loss not in ("dice", "balanced_bce"):
            raise ValueError(f"score_loss must be 'dice' or 'balanced_bce', got {score_loss!r}")
        self.score_loss = score_loss
        self.score_weight, self.iou_weight, self.angle_weight = float(score_weight), float(iou_weight), float(angle_weight)
        self.eps = float(eps)

    @staticmethod
    def _as_map(t: torch.Tensor, name: str) -> torch.Tensor:
        if t.ndim == 3:
            t = t.unsqueeze(1)
        if t.ndim != 4 or t.shape[1] != 1:
            raise ValueError(f"{name} must be (B, h, w) or (B, 1, h, w), got {tuple(t.shape)}")
        return t

    def forward(self, pred_score, pred_geometry, score, geometry, mask) -> EASTLossParts:
        pred_score = self._as_map(pred_score, "pred_score")
        score = self._as_map(score, "score").to(pred_score.dtype)
        mask = self._as_map(mask, "mask").to(pred_score.dtype)
        if pred_score.shape != score.shape or score.shape != mask.shape:
            raise ValueError(f"score shapes differ: pred {tuple(pred_score.shape)}, target {tuple(score.shape)}, "
                             f"mask {tuple(mask.shape)}")
        if pred_geometry.shape != geometry.shape or pred_geometry.shape[1] != 5 or geometry.shape[2:] != score.shape[2:]:
            raise ValueError(f"geometry must be (B, 5, h, w) matching the score map, got pred "
                             f"{tuple(pred_geometry.shape)}, target {tuple(geometry.shape)}")
        if self.score_loss == "dice":
            inter = (pred_score * score * mask).sum()
            union = (pred_score * mask).sum() + (score * mask).sum()
            l_score = 1.0 - (2.0 * inter + self.eps) / (union + self.eps)
        else:
            p = pred_score.clamp(1e-6, 1 - 1e-6)
            beta = 1.0 - (score * mask).sum() / mask.sum().clamp_min(1.0)
            ce = -(beta * score * torch.log(p) + (1 - beta) * (1 - score) * torch.log(1 - p))
            # A perfect 0/1 prediction would still leave clamp residue: count it as exactly zero.
            ce = torch.where((pred_score - score).abs() == 0, torch.zeros_like(ce), ce)
            l_score = (ce * mask).sum() / mask.sum().clamp_min(1.0)

        pos = (score * mask)[:, 0]
        n_pos = pos.sum()
        t1, r1, b1, l1, a1 = pred_geometry.unbind(1)
        t2, r2, b2, l2, a2 = geometry.to(pred_geometry.dtype).unbind(1)
        area_p = (t1 + b1) * (r1 + l1)
        area_g = (t2 + b2) * (r2 + l2)
        inter = (torch.minimum(r1, r2) + torch.minimum(l1, l2)) * (torch.minimum(t1, t2) + torch.minimum(b1, b2))
        union = area_p + area_g - inter
        l_iou_map = -torch.log((inter + 1.0) / (union + 1.0))
        l_angle_map = 1.0 - torch.cos(a1 - a2)
        denom = n_pos.clamp_min(1.0)
        l_iou = (l_iou_map * pos).sum() / denom
        l_angle = (l_angle_map * pos).sum() / denom
        total = self.score_weight * l_score + self.iou_weight * l_iou + self.angle_weight * l_angle
        return EASTLossParts(total, l_score, l_iou, l_angle)
