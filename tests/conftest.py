"""Shared fixtures. Tests generate their own data; none needs ../shared or a download."""
import numpy as np
import pytest

from textvision import _ext


def pytest_collection_modifyitems(config, items):
    skip_cuda = pytest.mark.skip(reason="no usable CUDA device")
    for item in items:
        if "cuda" in item.keywords and not _ext.has_cuda():
            item.add_marker(skip_cuda)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Torch tests run single-threaded: on CI's 2 cores torch's OpenMP pool busy-waits and
    oversubscribes as soon as a test starts worker processes, which made times swing 5x."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


class _RunsCode:
    """Unpickling this object would run ``touch MARKER``: a stand-in for a malicious checkpoint."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def evil_checkpoint(tmp_path):
    """A checkpoint-looking file whose unpickling would create ``marker``; returns ``(path, marker)``.

    Every loader and every CLI command that takes weights must refuse it with a one-line error and
    leave ``marker`` uncreated (checkpoints are read with ``torch.load(..., weights_only=True)``).
    """
    import torch

    marker = tmp_path / "code-ran"
    path = tmp_path / "evil.pt"
    torch.save({"kind": "text_fcn", "format": "textvision", "version": 1, "config": {"arch": "lite"},
                "state_dict": {}, "payload": _RunsCode(marker)}, path)
    return path, marker
