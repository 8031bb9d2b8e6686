"""Boosted decision stumps over the 18 group features of a proposal (the original's ranker, re-learnable).

A :class:`Ranker` is an additive model ``F(x) = sum_t (x[f_t] <= c_t ? a_t : b_t)`` (OpenCV's
``ml::Boost`` ``predict(..., PREDICT_SUM | RAW_OUTPUT)``) with text probability
``1 / (1 + exp(-2 s F))``, where the sign ``s`` (:attr:`Ranker.text_sign`) says which side of F is text.
Train one with :meth:`Ranker.fit` (Gentle AdaBoost, ``s = +1``), store it as a small JSON file, or
read a stump model written by OpenCV (``trained_boost_groups.xml``) with :meth:`Ranker.from_opencv_xml`:
OpenCV's raw sum is positive for the *second* of its ``class_labels``, and the original TextProposals
(``class_labels 1 2``, text groups labelled 1) scores a group ``1 - 1/(1 + exp(-2F))``, i.e. ``s = -1``.
"""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from textvision._ext import core

#: Column names of the group feature matrix, in the original TextProposals order.
FEATURE_NAMES = (
    "members",            # number of regions in the group
    "nfa_centres",        # -log10 NFA with p = area of the box around member centres / image area
    "nfa_box",            # -log10 NFA with p = area of the group box / image area
    "nfa_ratio",          # nfa_box / nfa_centres (-1 when nfa_centres is 0)
    "volume_ratio",       # centres-box area / group-box area
    "centres_width",      # centres-box width / group-box width
    "margin_left",        # (centres x1 - box x1) / box width
    "margin_right",
    "margin_lr_symmetry",  # min / max of the two margins (1 when both are 0)
    "centres_height",
    "margin_top",
    "margin_bottom",
    "margin_tb_symmetry",
    "diameter_cv",        # std / mean of member diameters
    "stroke_cv",          # std / mean of member stroke widths
    "gradient_std",       # std of member boundary gradients (grey levels)
    "foreground_std",     # std of member mean intensities
    "background_std",     # std of member surrounding intensities
)
NUM_FEATURES = len(FEATURE_NAMES)


def _features(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != NUM_FEATURES:
        raise ValueError(f"features must be [n, {NUM_FEATURES}], got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"features must be numeric, got dtype {x.dtype}")
    return np.ascontiguousarray(x, dtype=np.float32)


@dataclass
class Ranker:
    """Additive decision stumps. All arrays have one entry per stump.

    Attributes:
        feature: int32 [T], feature column of each stump (0..17).
        threshold: float32 [T]; rows with ``x[feature] <= threshold`` take ``left``, others (and NaN) ``right``.
        left, right: float32 [T] leaf values.
        integer_nfa: the original truncated its -log10 NFA features to integers; models read from
            OpenCV XML set this so that they see the features the way they were trained.
        text_sign: +1 when a large F means text (models from :meth:`fit`), -1 when a small F does
            (OpenCV models whose text class is the first of their ``class_labels``, as the original's).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    integer_nfa: bool = False
    meta: dict = field(default_factory=dict)
    text_sign: int = 1

    def __post_init__(self):
        self.feature = np.ascontiguousarray(self.feature, dtype=np.int32).reshape(-1)
        self.threshold = np.ascontiguousarray(self.threshold, dtype=np.float32).reshape(-1)
        self.left = np.ascontiguousarray(self.left, dtype=np.float32).reshape(-1)
        self.right = np.ascontiguousarray(self.right, dtype=np.float32).reshape(-1)
        t = len(self.feature)
        if not (len(self.threshold) == len(self.left) == len(self.right) == t):
            raise ValueError("feature, threshold, left and right must have the same length")
        if self.text_sign not in (1, -1):
            raise ValueError(f"text_sign must be +1 or -1, got {self.text_sign!r}")
        self.text_sign = int(self.text_sign)
        if t and (self.feature.min() < 0 or self.feature.max() >= NUM_FEATURES):
            raise ValueError(f"stump features must be in [0, {NUM_FEATURES}), got {sorted(set(self.feature.tolist()))}")

    def __len__(self) -> int:
        return len(self.feature)

    # ---------------------------------------------------------------- inference
    def prepare(self, features) -> np.ndarray:
        """The feature matrix as this model expects it (float32 [n, 18], NFA columns truncated if needed)."""
        x = _features(features)
        if self.integer_nfa:
            x = x.copy()
            x[:, 1:3] = np.trunc(x[:, 1:3])
            with np.errstate(divide="ignore", invalid="ignore"):
                x[:, 3] = np.where(x[:, 1] == 0, -1.0, x[:, 2] / np.where(x[:, 1] == 0, 1, x[:, 1]))
        return x

    def decision_function(self, features) -> np.ndarray:
        """Raw boosted sum F(x), float32 [n], for features [n, 18] (OpenCV's PREDICT_SUM raw output;
        its sign is not flipped by :attr:`text_sign`)."""
        x = self.prepare(features)
        return core().proposals_stumps_predict(x, self.feature, self.threshold, self.left, self.right)

    def predict_proba(self, features) -> np.ndarray:
        """Text probability ``1 / (1 + exp(-2 s F(x)))`` with ``s = text_sign``, float32 [n] in [0, 1].

        For ``s = -1`` this is the original's ``1 - 1/(1 + exp(-2F))``, computed as ``1/(1 + exp(2F))``
        so that small probabilities keep their order instead of rounding to 0 in ``1 - p``.
        """
        f = self.decision_function(features).astype(np.float64)
        with np.errstate(over="ignore"):  # exp overflow is the limit 0 we want
            return (1.0 / (1.0 + np.exp(-2.0 * self.text_sign * f))).astype(np.float32)

    # ---------------------------------------------------------------- training
    @classmethod
    def fit(cls, features, labels, *, num_stumps: int = 100, bins: int = 64, sample_weight=None) -> "Ranker":
        """Gentle AdaBoost with regression stumps on candidate thresholds at feature quantiles.

        Args:
            features: [n, 18] group features (:attr:`Proposals.features`).
            labels: [n] bool/int, True for proposals that match a word.
            num_stumps: boosting rounds.
            bins: candidate thresholds per feature (quantiles of the training data).
            sample_weight: optional [n] non-negative initial weights (default: classes balanced).
        """
        x = _features(features)
        y = np.asarray(labels).reshape(-1).astype(bool)
        if len(y) != len(x):
            raise ValueError(f"labels has {len(y)} entries for {len(x)} feature rows")
        if y.all() or not y.any():
            raise ValueError("labels must contain both positives and negatives")
        ys = np.where(y, 1.0, -1.0)
        if sample_weight is None:
            w = np.where(y, 0.5 / y.sum(), 0.5 / (~y).sum())
        else:
            w = np.asarray(sample_weight, dtype=np.float64).reshape(-1).copy()
            if len(w) != len(x) or (w < 0).any() or w.sum() <= 0:
                raise ValueError("sample_weight must be [n], non-negative, not all zero")
            w /= w.sum()
        # Candidate thresholds and each sample's bin (x <= thr[j] <=> bin <= j; NaN lands after all).
        thresholds, bin_index = [], []
        for j in range(NUM_FEATURES):
            col = x[:, j]
            finite = col[np.isfinite(col)]
            thr = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])).astype(np.float32) if len(finite) else np.zeros(0, np.float32)
            thresholds.append(thr)
            bin_index.append(np.searchsorted(thr, col, side="left"))
        feats, thrs, lefts, rights = [], [], [], []
        for _ in range(num_stumps):
            best = None
            for j in range(NUM_FEATURES):
                thr = thresholds[j]
                if len(thr) == 0:
                    continue
                nb = len(thr) + 1
                wl = np.cumsum(np.bincount(bin_index[j], weights=w, minlength=nb))[:-1]
                sl = np.cumsum(np.bincount(bin_index[j], weights=w * ys, minlength=nb))[:-1]
                wt, st = w.sum(), (w * ys).sum()
                wr, sr = wt - wl, st - sl
                with np.errstate(divide="ignore", invalid="ignore"):
                    gain = np.where(wl > 0, sl * sl / wl, 0.0) + np.where(wr > 0, sr * sr / wr, 0.0)
                k = int(np.argmax(gain))
                if best is None or gain[k] > best[0]:
                    a = sl[k] / wl[k] if wl[k] > 0 else 0.0
                    b = sr[k] / wr[k] if wr[k] > 0 else 0.0
                    best = (gain[k], j, thr[k], a, b)
            if best is None:
                break
            _, j, t, a, b = best
            f = np.where(bin_index[j] <= np.searchsorted(thresholds[j], t), a, b)
            w = w * np.exp(-ys * f)
            w /= w.sum()
            feats.append(j)
            thrs.append(t)
            lefts.append(a)
            rights.append(b)
        return cls(np.array(feats), np.array(thrs), np.array(lefts), np.array(rights),
                   meta={"trainer": "gentle-adaboost", "num_samples": int(len(x)), "positives": int(y.sum())})

    # ---------------------------------------------------------------- storage
    def save(self, path) -> None:
        """Write the model as JSON (a few kB for 100 stumps)."""
        data = {
            "format": "textvision-stumps-1",
            "feature_names": list(FEATURE_NAMES),
            "integer_nfa": bool(self.integer_nfa),
            "text_sign": self.text_sign,
            "feature": self.feature.tolist(),
            "threshold": [float(v) for v in self.threshold],
            "left": [float(v) for v in self.left],
            "right": [float(v) for v in self.right],
            "meta": self.meta,
        }
        Path(path).write_text(json.dumps(data, indent=1))

    @classmethod
    def load(cls, weights: Union[str, os.PathLike] = "default") -> "Ranker":
        """The one way to get a trained ranker: a ``ranker`` registry entry or a file.

        A ranker has no untrained form (``ranker=None`` in :class:`~textvision.proposals.TextProposals`
        means NFA meaningfulness, no ranker), so there is no builder beside this.

        Args:
            weights: a ``ranker`` registry name (``"default"``: ``ranker_ic15``; ``"ranker_real"``,
                ``"ranker_synth"``...; see ``textvision weights``; checksum-verified), or a path: a JSON
                model written by :meth:`save`, or an OpenCV ``ml::Boost`` XML file (:meth:`from_opencv_xml`).

        Raises:
            FileNotFoundError: no such file. ValueError: an unknown registry name, a checksum mismatch, or
                a file that is no ranker.
        """
        from textvision.weights import resolve

        path = Path(resolve(weights, "ranker"))
        if path.suffix.lower() == ".xml":
            return cls.from_opencv_xml(path)
        try:
            data = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not a textvision ranker JSON file ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != "textvision-stumps-1":
            raise ValueError(f"{path} is not a textvision ranker file (missing format 'textvision-stumps-1')")
        return cls(data["feature"], data["threshold"], data["left"], data["right"],
                   integer_nfa=bool(data.get("integer_nfa", False)), meta=data.get("meta", {}),
                   text_sign=int(data.get("text_sign", 1)))

    @classmethod
    def from_opencv_xml(cls, path) -> "Ranker":
        """Read an OpenCV (3.x / 4.x) ``ml::Boost`` model of depth-1 trees saved as XML.

        Each tree's root split ``<var>``/``<le>`` (or ``<gt>``, an inverted split) and its two leaf
        ``<value>`` s become one stump, so ``decision_function`` equals OpenCV's
        ``predict(..., RAW_OUTPUT | PREDICT_SUM)``. Models are assumed to use TextProposals' 18
        group features, with the original's integer -log10 NFA columns.

        The text class is the one labelled 1, as in the original's ``trained_boost_groups.xml``
        (``class_labels 1 2``): OpenCV's raw sum votes for the second label, so there text is the
        negative side (``text_sign = -1``) and :meth:`predict_proba` gives the original's group
        probability ``1 - 1/(1 + exp(-2F))``. With labels ``0 1`` or ``-1 1`` (text 1, second),
        ``text_sign = +1``; a model without ``class_labels`` is read with the original's convention.
        """
        path = Path(path)
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as exc:
            raise ValueError(f"cannot parse OpenCV XML {path}: {exc}") from None
        model = root.find("opencv_ml_boost")
        if model is None:
            model = next((c for c in root if c.find("trees") is not None), None)
        if model is None or model.find("trees") is None:
            raise ValueError(f"{path} holds no OpenCV ml::Boost model (no <opencv_ml_boost>/<trees>)")
        var_count = model.findtext("var_count")
        if var_count is not None and int(var_count) != NUM_FEATURES:
            raise ValueError(f"{path}: model has {var_count} input variables, TextProposals groups have {NUM_FEATURES}")
        text_sign = _text_sign(path, model.findtext("class_labels"))
        feats, thrs, lefts, rights = [], [], [], []
        for i, tree in enumerate(model.find("trees").findall("_")):
            nodes = tree.find("nodes")
            items = nodes.findall("_") if nodes is not None else []
            if len(items) == 1:  # a constant tree: no split, adds its value everywhere
                v = float(items[0].findtext("value"))
                feats.append(0), thrs.append(np.inf), lefts.append(v), rights.append(v)
                continue
            depths = [int(n.findtext("depth", "0")) for n in items]
            if len(items) != 3 or depths != [0, 1, 1]:
                raise ValueError(f"{path}: tree {i} is not a stump (depths {depths}); only depth-1 trees are supported")
            split = items[0].find("splits/_")
            if split is None:
                raise ValueError(f"{path}: tree {i} has no split")
            if split.find("in") is not None or split.find("not_in") is not None:
                raise ValueError(f"{path}: tree {i} splits on a categorical variable; not supported")
            a, b = float(items[1].findtext("value")), float(items[2].findtext("value"))
            if split.find("le") is not None:
                t = float(split.findtext("le"))
            elif split.find("gt") is not None:  # inverted: x <= c goes right
                t = float(split.findtext("gt"))
                a, b = b, a
            else:
                raise ValueError(f"{path}: tree {i} split has neither <le> nor <gt>")
            feats.append(int(split.findtext("var")))
            thrs.append(t)
            lefts.append(a)
            rights.append(b)
        if not feats:
            raise ValueError(f"{path}: the model has no trees")
        return cls(np.array(feats), np.array(thrs), np.array(lefts), np.array(rights), integer_nfa=True,
                   meta={"source": str(path), "format": "opencv-ml-boost"}, text_sign=text_sign)


def _text_sign(path, class_labels: Optional[str]) -> int:
    """Which side of OpenCV's raw sum is text: -1 when label 1 is the first of two class labels."""
    if class_labels is None:
        return -1
    try:
        labels = [float(v) for v in class_labels.split()]
    except ValueError:
        raise ValueError(f"{path}: cannot read <class_labels> {class_labels.strip()!r}") from None
    if len(labels) != 2 or 1.0 not in labels:
        raise ValueError(f"{path}: expected two class labels, text labelled 1 (the original's '1 2'), "
                         f"got {class_labels.strip()!r}")
    return -1 if labels[0] == 1.0 else 1
