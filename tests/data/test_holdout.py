"""The ICDAR 2015 validation split by name (``img_901``-``img_1000``): parsed, applied alike by every trainer
(train-east, train-text-fcn, train-ranker), and never part of a training side."""
import numpy as np
import pytest

from textvision.data import IcdarDataset, write_icdar2015
from textvision.data.datasets import ICDAR2015_HOLDOUT, holdout_split, parse_holdout
from textvision.data.instances import TextInstance
from textvision.data.spec import Split
from textvision.io import write_image

# Stems on both sides of the default split's edges, and names that only look like them.
STEMS = ["img_1", "img_899", "img_900", "img_901", "img_950", "img_1000", "img_1001", "img_9010", "xmg_950"]
HELD_OUT = {"img_901", "img_950", "img_1000"}


@pytest.fixture(scope="module")
def ic15(tmp_path_factory):
    """An ICDAR 2015 folder (images + gt/) whose images are distinguishable by their grey level."""
    root = tmp_path_factory.mktemp("ic15")
    for k, stem in enumerate(STEMS):
        write_image(root / f"{stem}.jpg", np.full((64, 96, 3), 10 + 20 * k, np.uint8))
        quad = np.array([[8, 8], [60, 8], [60, 30], [8, 30]], np.float32)
        write_icdar2015(root / "gt" / f"gt_{stem}.txt", [TextInstance(quad, stem), TextInstance(quad + 30, "###", True)])
    return root


def test_parse_holdout_ranges_and_errors():
    held = parse_holdout(ICDAR2015_HOLDOUT)
    assert [s for s in STEMS if held(s)] == ["img_901", "img_950", "img_1000"]
    other = parse_holdout("img_1-img_3, img_77,img_10-12")
    assert [s for s in ("img_1", "img_3", "img_4", "img_77", "img_11", "img_13") if other(s)] == \
        ["img_1", "img_3", "img_77", "img_11"]
    for bad in ("", "img_9-img_3", "img_a-img_b", "img_5-", " , "):
        with pytest.raises(ValueError):
            parse_holdout(bad)


def test_holdout_split_is_by_name(ic15):
    split = holdout_split(IcdarDataset(ic15))
    assert type(split) is Split
    train, val = split
    assert {val[i]["id"] for i in range(len(val))} == HELD_OUT
    assert {train[i]["id"] for i in range(len(train))} == set(STEMS) - HELD_OUT
    with pytest.raises(ValueError, match="no image named"):
        holdout_split(IcdarDataset(ic15), "img_2000-img_3000")
    with pytest.raises(ValueError, match="nothing to train on"):
        holdout_split(IcdarDataset(ic15), "img_1-img_9999,xmg_950")


def _grey_levels(ds):
    return {int(ds[i]["image"][0, 0, 0]) for i in range(len(ds))}


def test_east_data_never_trains_on_the_validation_split(ic15):
    from textvision.east.data import east_data

    train = east_data(f"icdar2015:{ic15}*3", train=True)
    val = east_data(f"icdar2015:{ic15}", train=False)
    assert len(train) == 3 * 6 and len(val) == 3
    ids = {train[i]["id"] for i in range(len(train))}
    assert ids.isdisjoint(HELD_OUT) and {val[i]["id"] for i in range(len(val))} == HELD_OUT
    # the pixels, not only the names: no held-out image reaches the training side
    assert _grey_levels(train).isdisjoint(_grey_levels(val))
    other = east_data(f"icdar2015:{ic15}", train=False, holdout="img_1-img_899")
    assert {other[i]["id"] for i in range(len(other))} == {"img_1", "img_899"}


def test_train_text_fcn_never_trains_on_the_validation_split(ic15):
    from textvision.text_fcn.train import make_sources

    sources = make_sources(f"icdar2015:{ic15}", mask_source="box")
    assert type(sources) is Split
    train, val = sources
    assert len(train) == 6 and len(val) == 3
    t_levels = {int(train[i].image[0, 0, 0]) for i in range(len(train))}
    v_levels = {int(val[i].image[0, 0, 0]) for i in range(len(val))}
    assert t_levels.isdisjoint(v_levels) and len(v_levels) == 3
    # a don't-care word is ignored (255-free target here: ignore is its own mask)
    s = train[0]
    assert s.text.any() and s.ignore.any()


def test_train_ranker_never_trains_on_the_validation_split(ic15):
    from textvision.proposals.train import iter_samples

    train = list(iter_samples(f"icdar2015:{ic15}", split="train"))
    val = list(iter_samples(f"icdar2015:{ic15}", split="val"))
    assert {s.name for s in train} == set(STEMS) - HELD_OUT
    assert {s.name for s in val} == HELD_OUT
