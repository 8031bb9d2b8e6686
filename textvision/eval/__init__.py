"""textvision.eval: the ICDAR protocols and the proposal detection rate.

- :func:`icdar2015`: ICDAR 2015 incidental text (polygons, one-to-one at IoU > 0.5, don't care)
- :func:`deteval_icdar2013`: ICDAR 2013 DetEval (area recall 0.8 / precision 0.4, splits and merges)
- :func:`detection_rate`: recall of word boxes among the top-k ranked proposals
- :func:`icdar2015_end_to_end`: the ICDAR 2015 end-to-end protocol (detection match + the word read right);
  :func:`first_read_rank` / :func:`end_to_end_rate`: recall of read proposals at top-k
- :func:`text_map_scores`: a text probability map's pixel AP, word hit rate and far-field mean;
  :func:`pool_text_map_scores` pools them over a photo set
- :func:`pixel_scores`: pixel precision / recall / F1 / IoU of a thresholded map against a text mask

Results: :class:`DetectionScores` (both protocols; :class:`EndToEndScores` end to end, per image
:class:`ImageScores` and :class:`Match`), :class:`RecallAtK` (ranked proposals), :class:`TextMapScores`,
:class:`PixelScores`; all frozen dataclasses.
"""
from textvision.eval.deteval import deteval_icdar2013
from textvision.eval.end_to_end import end_to_end_rate, first_read_rank, icdar2015_end_to_end, transcription_match
from textvision.eval.iou_protocol import icdar2015, polygon_iou_matrix
from textvision.eval.pixels import PixelScores, pixel_scores
from textvision.eval.proposals import detection_rate, first_hit_rank
from textvision.eval.scores import DetectionScores, EndToEndScores, ImageScores, Match, RecallAtK
from textvision.eval.textmap import TextMapScores, average_precision, pool_text_map_scores, text_map_scores

__all__ = ["icdar2015", "icdar2015_end_to_end", "transcription_match", "first_read_rank", "end_to_end_rate",
           "deteval_icdar2013", "detection_rate", "first_hit_rank", "polygon_iou_matrix",
           "text_map_scores", "pool_text_map_scores", "average_precision", "TextMapScores", "pixel_scores",
           "PixelScores", "DetectionScores", "EndToEndScores", "ImageScores", "Match", "RecallAtK"]
