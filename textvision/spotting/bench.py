"""Thesis Table 3.2's shape: the time a text map saves when every proposal is read by a recogniser.

For each image, two proposal methods (the plain ``TextProposals()`` and ``textvision.propose``: TextFCN
map, pruning, ranking) -> the recogniser reads every proposal -> end-to-end recall at top-k (a care word
counts when a proposal with box IoU >= 0.5 reads its transcription, case-free:
:func:`textvision.eval.first_read_rank`). CPU seconds per stage (map, proposals, recogniser), one thread.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import numpy as np

from textvision.eval.end_to_end import end_to_end_rate, first_read_rank
from textvision.eval.proposals import box_hits
from textvision.eval.scores import RecallAtK

__all__ = ["SpottingRow", "covering", "ProposalReadings", "read_proposals", "run_spotting", "format_spotting"]

KS = (100, 1000, None)


@dataclass(frozen=True)
class SpottingRow:
    """One method's figures over the images (times are means per image, CPU seconds on one thread).

    Attributes:
        method: ``"TextProposals()"`` or ``"textvision.propose"``.
        images: images run.
        proposals: mean proposals per image (all read).
        map_s, proposals_s, recognizer_s, total_s: mean CPU seconds per image of each stage and their sum.
        recognizer_estimated: True when the recogniser's time was measured on a random fraction of the
            proposals and scaled to all of them (``read_fraction`` < 1).
        recall: end-to-end recall at top 100 / 1000 / all (k None), :class:`~textvision.eval.RecallAtK`.
        detection_rate: proposal detection rate (IoU >= 0.5, read or not) at the same cut-offs, for comparison.
        per_image: per-image dicts (name, proposals, map_s, proposals_s, recognizer_s, crops_timed).
    """

    method: str
    images: int
    proposals: float
    map_s: float
    proposals_s: float
    recognizer_s: float
    total_s: float
    recognizer_estimated: bool
    recall: RecallAtK
    detection_rate: RecallAtK
    per_image: List[dict]

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["recall"] = self.recall.as_dict()
        d["detection_rate"] = self.detection_rate.as_dict()
        return d


def covering(boxes: np.ndarray, gt, iou: float = 0.5) -> np.ndarray:
    """bool [P]: proposals whose box IoU with some care word's bounding box is >= ``iou``."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    care = [np.asarray(inst.box, np.float64) for inst in gt if not inst.ignore]
    if not care:
        return np.zeros(len(b), bool)
    return box_hits(b, np.stack(care), iou).any(axis=1)


class ProposalReadings(NamedTuple):
    """What the recogniser read of one image's P proposals (:func:`read_proposals`).

    Attributes:
        texts: P strings, one per proposal (``""`` for one not read).
        seconds: recogniser CPU seconds for reading all P (measured, or estimated when ``estimated``), >= 0.
        timed: how many crops the timing measured (P unless ``estimated``).
        estimated: True when ``seconds`` was scaled up from a random fraction of the proposals.
    """

    texts: List[str]
    seconds: float
    timed: int
    estimated: bool


def read_proposals(image, boxes, gt, model, *, read_fraction: float = 1.0, rng=None,
                   bf16: bool = False) -> ProposalReadings:
    """Read proposals for the benchmark: :class:`ProposalReadings` ``(texts [P], recogniser CPU seconds,
    crops timed, estimated)``.

    With ``read_fraction`` 1 every proposal is read and timed. Below 1, a random ``read_fraction`` of them
    is read and timed and the time scaled to all P (an unbiased estimate of the full read); the proposals
    covering a care word are read too, untimed, so the recall is exact. Unread proposals read "".
    """
    from textvision.spotting.recognition import recognize

    n = len(boxes)
    texts = [""] * n
    if n == 0:
        return ProposalReadings(texts, 0.0, 0, False)
    if read_fraction >= 1.0:
        t0 = time.process_time()
        rec = recognize(image, boxes=boxes, model=model, bf16=bf16)
        return ProposalReadings(list(rec.texts), time.process_time() - t0, n, False)
    rng = np.random.default_rng(0) if rng is None else rng
    sample = np.nonzero(rng.random(n) < read_fraction)[0]
    t0 = time.process_time()
    rec = recognize(image, boxes=boxes[sample], model=model, bf16=bf16)
    seconds = (time.process_time() - t0) * n / max(len(sample), 1)
    for i, t in zip(sample, rec.texts):
        texts[i] = t
    rest = np.setdiff1d(np.nonzero(covering(boxes, gt))[0], sample)
    if len(rest):
        for i, t in zip(rest, recognize(image, boxes=boxes[rest], model=model, bf16=bf16).texts):
            texts[i] = t
    return ProposalReadings(texts, seconds, len(sample), True)


def run_spotting(samples, *, recognizer="default", fcn="default", read_fraction: float = 1.0,
                 seed: int = 0, bf16: bool = False, progress: Optional[Callable[[str, str], None]] = None
                 ) -> List[SpottingRow]:
    """Run both methods on annotated samples (``textvision.proposals.train.AnnotatedImage``: image, instances, name).

    Args:
        samples: annotated images (RGB uint8 and their ICDAR word instances).
        recognizer: the recogniser (registry name, path or module).
        fcn: the TextFCN of ``textvision.propose`` (a module, a ``text_fcn`` registry name or a checkpoint).
        read_fraction: in (0, 1]: the share of proposals read and timed (see :func:`read_proposals`).
        seed: the sampling seed (``read_fraction`` < 1).
        bf16: the recogniser under bfloat16 autocast.
        progress: called with (method, image name) after each image and method.

    Returns:
        two :class:`SpottingRow`: ``TextProposals()`` then ``textvision.propose``.
    """
    from textvision._threads import torch_threads
    from textvision.eval import detection_rate
    from textvision.models.text_fcn import text_fcn
    from textvision.proposals import TextProposals
    from textvision.proposals.headline import propose
    from textvision.spotting.recognition import as_recognizer

    if not 0.0 < float(read_fraction) <= 1.0:
        raise ValueError(f"read_fraction must lie in (0, 1], got {read_fraction}")
    model = as_recognizer(recognizer)
    if isinstance(fcn, (str, os.PathLike)):
        fcn = text_fcn(weights=fcn)
    baseline = TextProposals()
    rng = np.random.default_rng(seed)
    per: Dict[str, List[dict]] = {"TextProposals()": [], "textvision.propose": []}
    ranks: Dict[str, list] = {k: [] for k in per}
    boxes_kept: Dict[str, list] = {k: [] for k in per}
    gts = []
    with torch_threads(1, "bench spotting"):
        for s in samples:
            gts.append(s.instances)
            for method in per:
                if method == "TextProposals()":
                    p = baseline(s.image)
                    map_s, prop_s = 0.0, float(p.stats["time"]["total"])
                else:
                    p = propose(s.image, model=fcn, device="cpu")
                    map_s, prop_s = float(p.stats["time"]["heatmap"]), float(p.stats["time"]["total"])
                read = read_proposals(s.image, p.boxes, s.instances, model, read_fraction=read_fraction, rng=rng,
                                      bf16=bf16)
                ranks[method].append(first_read_rank(p.boxes, read.texts, s.instances))
                boxes_kept[method].append(p.boxes)
                per[method].append({"image": s.name, "proposals": int(len(p)), "map_s": map_s,
                                    "proposals_s": prop_s, "recognizer_s": read.seconds,
                                    "crops_timed": int(read.timed)})
                if progress is not None:
                    progress(method, s.name)
    rows = []
    for method, items in per.items():
        def mean(key):
            return float(np.mean([d[key] for d in items])) if items else 0.0

        rows.append(SpottingRow(
            method=method, images=len(items), proposals=mean("proposals"), map_s=mean("map_s"),
            proposals_s=mean("proposals_s"), recognizer_s=mean("recognizer_s"),
            total_s=mean("map_s") + mean("proposals_s") + mean("recognizer_s"),
            recognizer_estimated=read_fraction < 1.0, recall=end_to_end_rate(ranks[method], gts, KS),
            detection_rate=detection_rate(boxes_kept[method], gts, ks=KS),
            per_image=items))
    return rows


def _pct(v: float) -> str:
    return "n/a" if v != v else f"{v:.2f}"


def format_spotting(rows: Sequence[SpottingRow]) -> str:
    """A Markdown table of the rows, and the propose / baseline ratios."""
    est = " (est.)" if any(r.recognizer_estimated for r in rows) else ""
    lines = [f"| method | proposals | map s | proposals s | recogniser s{est} | total s | ms / proposal | "
             "e2e recall top 100 | top 1000 | all | detection rate all |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ms = 1000 * r.recognizer_s / r.proposals if r.proposals else float("nan")
        lines.append(f"| {r.method} | {r.proposals:.0f} | {r.map_s:.2f} | {r.proposals_s:.2f} | {r.recognizer_s:.2f} | "
                     f"{r.total_s:.2f} | {ms:.2f} | {_pct(r.recall.at(100))} | {_pct(r.recall.at(1000))} | "
                     f"{_pct(r.recall.at(None))} | {_pct(r.detection_rate.at(None))} |")
    if len(rows) == 2 and rows[0].recognizer_s > 0 and rows[0].proposals > 0:
        b, p = rows
        lines.append("")
        lines.append(f"textvision.propose / TextProposals(): proposals {p.proposals / b.proposals:.2f}x, recogniser "
                     f"time {p.recognizer_s / b.recognizer_s:.2f}x, total {p.total_s / b.total_s:.2f}x")
    return "\n".join(lines)
