"""Shared fixtures. Tests generate their own data; none needs ../shared or a download."""
import numpy as np
import pytest

from textvision import _ext


def cuda_skip_reason(needs_core: bool, torch_cuda: bool, core_built: bool, core_devices: int):
    """Why a ``cuda`` test cannot run here (None when it can), naming what is actually missing.

    Args:
        needs_core: the test runs the compiled core's CUDA kernels (``@pytest.mark.cuda(core=True)``);
            the others need only torch's CUDA.
        torch_cuda: ``torch.cuda.is_available()``.
        core_built: the core was compiled with its CUDA sources.
        core_devices: CUDA devices the core sees.
    """
    if not torch_cuda:
        return "no CUDA device (torch.cuda.is_available() is False)"
    if needs_core and not core_built:
        return ("a CUDA device is present but the compiled core was built without CUDA (TEXTVISION_CUDA=0, or no "
                "nvcc at build time; rebuild with FORCE_CUDA=1): its CUDA kernels cannot run")
    if needs_core and core_devices < 1:
        return "the compiled core sees no CUDA device although torch does (driver/runtime mismatch?)"
    return None


def pytest_collection_modifyitems(config, items):
    cuda_items = [item for item in items if item.get_closest_marker("cuda") is not None]
    if not cuda_items:
        return
    import torch

    torch_cuda = torch.cuda.is_available()
    core = _ext.core() if _ext.has_ops() else None
    core_built = bool(core is not None and core.built_with_cuda)
    core_devices = int(core.cuda_device_count()) if core_built else 0
    for item in cuda_items:
        needs_core = bool(item.get_closest_marker("cuda").kwargs.get("core", False))
        reason = cuda_skip_reason(needs_core, torch_cuda, core_built, core_devices)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


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
def conv_runs(monkeypatch):
    """Where every ``nn.Conv2d`` forward ran: a list of ``(device type, output dtype)``, one per call.

    GPU tests assert on it that the work ran on the device they asked for (and under the autocast dtype
    they expect): comparing device outputs with CPU outputs alone would pass if ``device="cuda"`` were
    ignored.
    """
    import torch

    runs = []
    real = torch.nn.Conv2d.forward

    def spy(self, x):
        y = real(self, x)
        runs.append((y.device.type, y.dtype))
        return y

    monkeypatch.setattr(torch.nn.Conv2d, "forward", spy)
    return runs


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
