"""textvision.eval: the ICDAR protocols and the proposal detection rate.

- :func:`icdar2015`: ICDAR 2015 incidental text (polygons, one-to-one at IoU > 0.5, don't care)
- :func:`deteval_icdar2013`: ICDAR 2013 DetEval (area recall 0.8 / precision 0.4, splits and merges)
- :func:`detection_rate`: recall of word boxes among the top-k ranked proposals
"""
from textvision.eval.deteval import deteval_icdar2013
from textvision.eval.iou_protocol import icdar2015, polygon_iou_matrix
from textvision.eval.proposals import detection_rate, first_hit_rank

__all__ = ["icdar2015", "deteval_icdar2013", "detection_rate", "first_hit_rank", "polygon_iou_matrix"]
