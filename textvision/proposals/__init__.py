"""textvision.proposals: TextProposals with FCN-guided pruning and re-ranking.

- :func:`propose`: the headline call (TextFCN map at the working size, pruning, ranking, re-ranking)
- :class:`TextProposals` -> :class:`Proposals` (boxes float32 [K, 4] x1, y1, x2, y2, scores, stats)
- :func:`fcn_heatmap`: the TextFCN map to prune with (``textvision.segment`` at ``PROPOSALS_FCN_MAX_SIDE``)
- :class:`Ranker`: boosted stumps over the 18 group features (train, save/load, OpenCV XML)
- :func:`single_linkage`, :func:`euclidean_mst`: exact clustering used by the pipeline
"""
from textvision.proposals.cluster import Dendrogram, SpanningTree, euclidean_mst, single_linkage
from textvision.proposals.headline import propose
from textvision.proposals.pipeline import (
                                          DEFAULT_MIN_PROB,
                                          PRESETS,
                                          PROPOSALS_FCN_MAX_SIDE,
                                          Proposals,
                                          TextProposals,
                                          fcn_heatmap,
                                          heatmap_evidence,
                                          meaningfulness,
)
from textvision.proposals.ranker import FEATURE_NAMES, Ranker

__all__ = [
    "propose", "TextProposals", "Proposals", "PRESETS", "DEFAULT_MIN_PROB", "fcn_heatmap", "PROPOSALS_FCN_MAX_SIDE", "Ranker", "FEATURE_NAMES",
    "meaningfulness", "heatmap_evidence", "single_linkage", "euclidean_mst", "Dendrogram", "SpanningTree",
]
