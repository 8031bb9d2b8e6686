"""Shared fixtures. Tests generate their own data; none needs ../shared or a download."""
import numpy as np
import pytest

from textvision import _ext


def pytest_collection_modifyitems(config, items):
    skip_cuda = pytest.mark.skip(reason="no usable CUDA device")
    for item in items:
        if "cuda" in item.keywords and not _ext.has_cuda():
            item.add_marker(skip_cuda)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
