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
    assert isinstance(ops.has_cuda(), bool)
    # A CUDA build must still import and report no device on a machine without a GPU.
    if ops.built_with_cuda():
        assert ops.has_cuda() == (_ext.core().cuda_device_count() > 0)


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
