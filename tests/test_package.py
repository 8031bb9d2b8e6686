import subprocess
import sys

import pytest

import textvision
from textvision import _ext, ops
from textvision.cli import main


def test_import_is_light():
    # `import textvision` must not pull torch (CLI start-up and pure-data users stay fast).
    code = "import sys, textvision; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_extension_loaded():
    assert ops.has_ops(), "textvision._C should be built for the test run"
    assert isinstance(ops.has_cuda(), bool) and isinstance(ops.built_with_cuda(), bool)


class _FakeCore:
    def __init__(self, built, devices):
        self.built_with_cuda, self._devices = built, devices

    def cuda_device_count(self):
        if not self.built_with_cuda:
            raise AssertionError("a CPU-only core has no CUDA runtime to ask")
        return self._devices


@pytest.mark.parametrize("built, devices, expect", [
    (False, 0, False),  # CPU-only build
    (True, 0, False),   # CUDA build on a machine without a GPU: imports, reports no device
    (True, 2, True),
])
def test_has_cuda_needs_a_cuda_build_and_a_device(monkeypatch, built, devices, expect):
    monkeypatch.setattr(_ext, "_C", _FakeCore(built, devices))
    assert _ext.has_ops()
    assert _ext.built_with_cuda() is built
    assert _ext.has_cuda() is expect


def test_has_cuda_agrees_with_torch_on_this_machine():
    """An independent witness: a CUDA build sees a device exactly when torch does (CPU builds never)."""
    torch = pytest.importorskip("torch")
    if ops.built_with_cuda():
        if torch.version.cuda is None:
            pytest.skip("torch is a CPU build here: it cannot witness a device")
        assert ops.has_cuda() == torch.cuda.is_available()
    else:
        assert ops.has_cuda() is False


def test_missing_extension_names_the_fix(monkeypatch):
    monkeypatch.setattr(_ext, "_C", None)
    monkeypatch.setattr(_ext, "_IMPORT_ERROR", ImportError("no module named textvision._C"))
    assert not _ext.has_ops() and not _ext.has_cuda()
    with pytest.raises(_ext.ExtensionMissingError, match="pip install"):
        _ext.core()


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        textvision.does_not_exist  # noqa: B018


def test_cli_info(capsys):
    assert main(["info"]) == 0
    assert "compiled core: yes" in capsys.readouterr().out


def test_cli_no_command(capsys):
    assert main([]) == 2
