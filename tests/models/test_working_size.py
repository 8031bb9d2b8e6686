"""The working size of a TextFCN (textvision.models.working_size), one fact for segment and the StyleNet gate."""
import pytest

import textvision.text_fcn
from textvision.models.working_size import DEFAULT_MAX_SIDE, DEFAULT_MAX_UPSCALE, work_size


@pytest.mark.parametrize("hw, max_side, up, want", [
    ((720, 1280), 1280, 2.0, (720, 1280)),   # a 1280x720 photo runs at its native size
    ((1440, 2560), 1280, 2.0, (720, 1280)),  # larger: scaled down to the longer side
    ((100, 300), 1280, 2.0, (200, 600)),     # small: upscaled by at most max_upscale
    ((3, 5), 1280, 2.0, (6, 10)),
    ((333, 517), 512, 2.0, (330, 512)),      # rounded to the nearest pixel
    ((1, 4000), 1280, 2.0, (1, 1280)),       # never below one pixel
    ((333, 517), None, 2.0, (333, 517)),     # None: native size
])
def test_work_size(hw, max_side, up, want):
    assert work_size(*hw, max_side, up) == want


def test_work_size_refuses_a_tiny_max_side():
    with pytest.raises(ValueError, match="max_side must be >= 32 or None, got 31"):
        work_size(10, 10, 31, 2.0)


def test_one_fact_for_every_caller():
    assert textvision.text_fcn.DEFAULT_MAX_SIDE is DEFAULT_MAX_SIDE == 1280 and DEFAULT_MAX_UPSCALE == 2.0
