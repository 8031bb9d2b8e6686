"""run_rankers: rankers side by side on the same proposals, checked against TextProposals itself."""
import numpy as np
import pytest

from textvision.data.synth import render_scene
from textvision.eval.proposals import detection_rate
from textvision.proposals import DEFAULT_MIN_PROB, TextProposals
from textvision.proposals.compare import KS, format_rankers, run_rankers
from textvision.proposals.ranker import Ranker
from textvision.proposals.train import AnnotatedImage, oracle_heatmap, word_boxes


@pytest.fixture(scope="module")
def samples():
    scenes = [render_scene((11, i), (160, 240), text_free_prob=0.0, max_lines=3) for i in range(2)]
    return [AnnotatedImage(sc.image, list(sc.instances), f"s{i}") for i, sc in enumerate(scenes)]


def test_rows_equal_text_proposals_with_each_ranker(samples, rng):
    stumps = Ranker(rng.integers(0, 18, 5), rng.normal(size=5), rng.normal(size=5), rng.normal(size=5))
    rankers = {"nfa": None, "default": "default", "random": stumps}
    maps = [oracle_heatmap(s.instances, s.image.shape[:2]) for s in samples]
    rows = run_rankers(samples, rankers, maps)
    assert [(r["ranker"], r["map"]) for r in rows] == [(n, m) for m in ("none", "TextFCN") for n in rankers]
    gts = [word_boxes(s.instances) for s in samples]
    for r in rows:
        cfg = {} if r["map"] == "none" else {"prune": "pixels", "min_prob": DEFAULT_MIN_PROB, "rerank": True}
        tp = TextProposals(ranker=rankers[r["ranker"]], **cfg)
        props = [tp(s.image, None if r["map"] == "none" else hm) for s, hm in zip(samples, maps)]
        want = detection_rate([p.boxes for p in props], gts, ks=KS)
        assert [r["dr"]["all" if k is None else str(k)] for k in KS] == list(want.recall)
        assert r["proposals"] == np.mean([len(p) for p in props])
        assert r["gt_words"] == sum(len(g) for g in gts) and r["images"] == 2
    # the same proposals for every ranker of a setting: only their order differs
    for m in ("none", "TextFCN"):
        assert len({(r["proposals"], r["dr"]["all"]) for r in rows if r["map"] == m}) == 1
    table = format_rankers(rows)
    assert table.splitlines()[0].startswith("| ranker | map | DR@10") and "| random | TextFCN |" in table


def test_without_maps_only_the_plain_setting(samples):
    rows = run_rankers(samples[:1], {"nfa": None})
    assert [r["map"] for r in rows] == ["none"]
    with pytest.raises(ValueError, match="1 heatmaps for 2 samples"):
        run_rankers(samples, {"nfa": None}, [None])
