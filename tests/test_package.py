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


def _conftest():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("tv_tests_conftest", Path(__file__).parent / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("needs_core, torch_cuda, built, devices, expect", [
    (False, False, False, 0, "no CUDA device"),
    (True, False, True, 0, "no CUDA device"),
    (False, True, False, 0, None),  # a torch-only GPU test runs with a CPU-only core
    (True, True, False, 0, "built without CUDA"),  # ...a test of the core's kernels does not, and says why
    (True, True, True, 0, "sees no CUDA device"),
    (True, True, True, 1, None),
])
def test_cuda_tests_skip_with_the_true_reason(needs_core, torch_cuda, built, devices, expect):
    reason = _conftest().cuda_skip_reason(needs_core, torch_cuda, built, devices)
    assert (reason is None) if expect is None else (expect in reason), reason


def test_cuda_tests_here_carry_the_reason_of_this_machine(request):
    """Every collected ``cuda`` test is skipped here exactly when its reason says so."""
    torch = pytest.importorskip("torch")
    items = [i for i in request.session.items if i.get_closest_marker("cuda") is not None]
    for item in items:
        needs_core = bool(item.get_closest_marker("cuda").kwargs.get("core", False))
        want = _conftest().cuda_skip_reason(needs_core, torch.cuda.is_available(), ops.built_with_cuda(),
                                            1 if ops.has_cuda() else 0)
        skips = [m.kwargs.get("reason") for m in item.iter_markers("skip")]
        assert skips == ([want] if want else []), (item.nodeid, skips)


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
