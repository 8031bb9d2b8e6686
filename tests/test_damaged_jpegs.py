"""Damaged JPEGs: one warning naming the file, in ``textvision.io.read_rgb`` and so in every command.

Two kinds of damage: a file cut short (no end marker; a partial download) and a file whose entropy-coded
data stops early but which still ends with the end marker (libjpeg: "Corrupt JPEG data: premature end of
data segment"). Both decode (the missing part grey); libjpeg's own line, which names no file, does not
reach stderr: it is folded into textvision's warning.
"""
import logging
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from textvision import io
from textvision.cli import main


def _jpeg_bytes(h=96, w=128):
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (0, 0), 2)
    cv2.putText(img, "SALE", (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 3)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


def damaged_jpeg(path, kind):
    whole = _jpeg_bytes()
    cut = whole[: len(whole) * 2 // 3]
    path.write_bytes({"truncated": cut, "corrupt": cut + b"\xff\xd9", "whole": whole}[kind])
    return path


WORDS = {"truncated": "truncated", "corrupt": "premature end of data segment"}


def _io_warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "textvision.io" and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("kind", ["truncated", "corrupt"])
def test_read_rgb_warns_once_naming_the_file(tmp_path, caplog, capfd, kind):
    path = damaged_jpeg(tmp_path / "damaged.jpg", kind)
    with caplog.at_level("WARNING", logger="textvision.io"):
        out = io.read_rgb(path)
    assert out.shape == (96, 128, 3) and out.dtype == np.uint8
    (msg,) = _io_warnings(caplog)
    assert str(path) in msg and WORDS[kind] in msg.replace(str(path), "")
    assert "Corrupt JPEG data" not in capfd.readouterr().err  # libjpeg's anonymous line is folded in
    caplog.clear()
    with caplog.at_level("WARNING", logger="textvision.io"):
        io.read_rgb(damaged_jpeg(tmp_path / "whole.jpg", "whole"))
    assert not _io_warnings(caplog)


def test_other_output_on_fd2_during_a_decode_is_passed_on(tmp_path, monkeypatch, capfd):
    """While libjpeg's lines are caught, whatever else reaches file descriptor 2 is written back."""
    path = damaged_jpeg(tmp_path / "whole.jpg", "whole")
    real = cv2.imdecode

    def noisy(buf, flags):
        os.write(2, b"another thread says hello\n")
        return real(buf, flags)

    monkeypatch.setattr(cv2, "imdecode", noisy)
    io.read_rgb(path)
    assert "another thread says hello" in capfd.readouterr().err


COMMANDS = {
    "detect": lambda img, out: ["detect", str(img), "--out", str(out), "--no-progress"],
    "segment": lambda img, out: ["segment", str(img), "--out", str(out), "--no-progress"],
    "propose": lambda img, out: ["propose", str(img), "--out", str(out / "p.csv")],
    "stylize": lambda img, out: ["stylize", str(img), "--style", "0", "--out", str(out / "s.png")],
}


@pytest.mark.parametrize("kind", ["truncated", "corrupt"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_image_command_warns_once_naming_the_file(tmp_path, caplog, capfd, command, kind):
    """The image is used (exit 0, outputs written) and named once in a warning; no anonymous libjpeg line."""
    path = damaged_jpeg(tmp_path / "photo.jpg", kind)
    out = tmp_path / "out"
    out.mkdir()
    with caplog.at_level("WARNING", logger="textvision.io"):
        assert main(COMMANDS[command](path, out)) == 0
    msgs = [m for m in _io_warnings(caplog) if str(path) in m]
    assert len(msgs) == 1 and WORDS[kind] in msgs[0].replace(str(path), ""), _io_warnings(caplog)
    assert any(out.iterdir())
    assert "Corrupt JPEG data" not in capfd.readouterr().err


def test_detect_prints_the_warning_on_stderr(tmp_path):
    """What a user sees in a terminal: the command names the damaged file on stderr (textvision configures no
    logging; Python's last-resort handler prints warnings), and libjpeg's anonymous line is gone."""
    path = damaged_jpeg(tmp_path / "photo.jpg", "truncated")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "textvision", "detect", str(path), "--out", str(tmp_path / "out"),
                           "--no-progress"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if str(path) in ln]
    assert len(lines) == 1 and "truncated" in lines[0].replace(str(path), ""), proc.stderr
    assert "Corrupt JPEG data" not in proc.stderr
