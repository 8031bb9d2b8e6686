"""One policy for every subcommand (issue 31, docs/cli.md): the same cases run against each command.

- an existing output is refused (one error line naming --force or --resume, nothing changed), and
  --force / --resume does what it says;
- an output folder holds exactly one run (a stale folder is never mixed into a new one);
- an empty input folder is "nothing to do": exit 1, one line, no folder left behind;
- a closed stdout ends the command quietly with status 141;
- an unknown registry name is one line, before any work, wherever weights are taken, and registry names
  are accepted wherever a weights path is.
"""
import json
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from textvision.cli import EXIT_CLOSED_PIPE, build_parser, main
from textvision.data import read_icdar2015, write_icdar2015
from textvision.data.synth import render_scene
from textvision.io import write_image
from textvision.models.east import EAST, save_east

ROOT = Path(__file__).resolve().parent.parent



@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """Tiny inputs shared by every case: two images, an ICDAR folder with gt, perfect results, a tiny EAST."""
    root = tmp_path_factory.mktemp("policy")
    for sub in ("imgs", "ic15", "det", "empty", "other"):
        (root / sub).mkdir()
    (root / "other" / "res_img_7.txt").write_text("1,1,9,1,9,9,1,9\n")  # results of another image set
    for i in (1, 2):
        sc = render_scene(i, size=(64, 96), text_free_prob=0.0, max_lines=1)
        write_image(root / "imgs" / f"img_{i}.png", sc.image)
        write_image(root / "ic15" / f"img_{i}.png", sc.image)
        write_icdar2015(root / "ic15" / f"gt_img_{i}.txt", sc.instances)
        write_icdar2015(root / "det" / f"res_img_{i}.txt", [t.quad for t in sc.instances if not t.ignore])
    torch.manual_seed(0)
    save_east(root / "tiny.pt", EAST("tiny"))
    return SimpleNamespace(root=root, imgs=str(root / "imgs"), img=str(root / "imgs" / "img_1.png"),
                           ic15=str(root / "ic15"), det=str(root / "det"), empty=str(root / "empty"),
                           other=str(root / "other"), tiny=str(root / "tiny.pt"))


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and "\n" not in err, err
    assert err.startswith(f"textvision {command}: error: "), err
    return err


def _tree(path: Path) -> dict:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------------ the writers
class Writer(SimpleNamespace):
    """A command that writes: ``argv(d, out)``; ``out`` is a file (with ``suffix``) or a folder (seeded
    with ``own``, one of its own files); ``again`` is the flag that allows an existing output."""

    def __repr__(self):
        return self.name


WRITERS = [
    Writer(name="detect", folder=True, own="res_img_9.txt", again="--force", cheap=True,
           argv=lambda d, out: ["detect", d.imgs, "--model", d.tiny, "--max-side", "64", "--no-progress",
                                "--out", out]),
    Writer(name="demo", folder=True, own="table.json", again="--force", cheap=True,
           argv=lambda d, out: ["demo", "--image", d.img, "--heatmap-source", "fcn", "--top", "3", "--out", out]),
    Writer(name="synth", folder=True, own="gt/gt_img_5.txt", again="--force", cheap=True,
           argv=lambda d, out: ["synth", "--n", "1", "--size", "32x48", "--workers", "1", "--out", out]),
    Writer(name="teacher-label", folder=True, own="photo-0123.npz", again="--force", cheap=False,
           argv=lambda d, out: ["teacher-label", d.imgs, "--out", out]),
    Writer(name="style-crops", folder=True, own="photo_w0.png", again="--resume", cheap=False,
           argv=lambda d, out: ["style-crops", d.imgs, "--out", out]),
    Writer(name="segment", folder=True, own="img_9_heatmap.png", again="--force", cheap=True,
           argv=lambda d, out: ["segment", d.imgs, "--no-progress", "--out", out]),
    Writer(name="propose", folder=False, suffix=".csv", again="--force", cheap=True,
           argv=lambda d, out: ["propose", d.imgs, "--out", out]),
    Writer(name="evaluate", folder=False, suffix=".json", again="--force", cheap=True,
           argv=lambda d, out: ["evaluate", "--gt", d.ic15, "--det", d.det, "--json", out]),
    Writer(name="stylize", folder=False, suffix=".png", again="--force", cheap=True,
           argv=lambda d, out: ["stylize", d.img, "--model", "default-distilled", "--style", "0", "--out", out]),
    Writer(name="styles", folder=False, suffix=".png", again="--force", cheap=True,
           argv=lambda d, out: ["styles", "--model", "default-distilled", "--cell", "16", "--out", out]),
    Writer(name="bench", folder=False, suffix=".json", again="--force", cheap=True,
           argv=lambda d, out: ["bench", "proposals", "-n", "1", "--size", "64x96", "--heatmap-source", "none",
                                "--json", out]),
    Writer(name="train-ranker", folder=False, suffix=".json", again="--force", cheap=False,
           argv=lambda d, out: ["train-ranker", "-n", "1", "--size", "64x96", "--stumps", "2", "--out", out]),
    Writer(name="export-weights", folder=False, suffix=".pt", again="--force", cheap=True,
           argv=lambda d, out: ["export-weights", d.tiny, out]),
    Writer(name="train-east", folder=False, suffix=".pt", again="--resume", cheap=False,
           argv=lambda d, out: ["train-east", "--data", "synth:2:64", "--backbone", "tiny", "--input-size", "64",
                                "--epochs", "1", "--no-progress", "--out", out]),
    Writer(name="train-text-fcn", folder=False, suffix=".pt", again="--resume", cheap=False,
           argv=lambda d, out: ["train-text-fcn", "--data", "synth", "--synth-n", "2", "--epochs", "1", "--no-progress",
                                "--out", out]),
    Writer(name="train-style", folder=False, suffix=".pt", again="--resume", cheap=False,
           argv=lambda d, out: ["train-style", "--styles", d.imgs, "--loss-net", "random", "--steps", "1",
                                "--no-progress", "--out", out]),
    Writer(name="distill", folder=False, suffix=".pt", again="--resume", cheap=False,
           argv=lambda d, out: ["distill", "--teacher", "default", "--steps", "1", "--no-progress", "--out", out]),
]


def _params(writers):
    return [pytest.param(w, id=w.name, marks=getattr(w, "marks", ())) for w in writers]


def _seed_existing(w, tmp_path) -> Path:
    """An earlier run's output where ``w`` writes (a folder with one of its files and a file of the user's)."""
    if w.folder:
        out = tmp_path / "out"
        (out / w.own).parent.mkdir(parents=True, exist_ok=True)
        (out / w.own).write_bytes(b"an earlier run")
        (out / "notes.md").write_text("the user's, never touched")
    else:
        out = tmp_path / f"out{w.suffix}"
        out.write_bytes(b"an earlier run")
    return out


@pytest.mark.parametrize("w", _params(WRITERS))
def test_existing_output_is_refused(w, d, tmp_path, capsys):
    out = _seed_existing(w, tmp_path)
    before = _tree(tmp_path)
    assert main(w.argv(d, str(out))) == 1
    err = _one_line_error(capsys, w.name)
    assert w.again in err and str(out) in err
    assert _tree(tmp_path) == before  # nothing written, nothing removed


@pytest.mark.parametrize("w", _params([w for w in WRITERS if w.cheap]))
def test_force_replaces_exactly_the_earlier_run(w, d, tmp_path, capsys):
    out = _seed_existing(w, tmp_path)
    assert main(w.argv(d, str(out)) + [w.again]) == 0, capsys.readouterr().err
    if w.folder:
        # The earlier run's file is gone (or is this run's): the folder holds this run only.
        assert not (out / w.own).exists() or (out / w.own).read_bytes() != b"an earlier run"
        assert (out / "notes.md").read_text() == "the user's, never touched"
        assert len(_tree(out)) > 1
    else:
        assert out.read_bytes() != b"an earlier run"


def test_detect_into_a_stale_folder_never_mixes_runs(d, tmp_path, capsys):
    """The issue's case: results of an earlier run with other images must not be scored with this one's."""
    out = tmp_path / "res"
    out.mkdir()
    for k in (1, 2):  # run A: perfect results for both images
        (out / f"res_img_{k}.txt").write_bytes((Path(d.det) / f"res_img_{k}.txt").read_bytes())
    run_b = ["detect", d.img, "--model", d.tiny, "--max-side", "64", "--score-threshold", "1", "--out", str(out)]
    assert main(run_b) == 1
    assert "2 result file(s) of an earlier run" in _one_line_error(capsys, "detect")
    assert main(run_b + ["--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["res_img_1.txt"]  # run B only
    capsys.readouterr()
    assert main(["evaluate", "--gt", d.ic15, "--det", str(out)]) == 0
    captured = capsys.readouterr()
    assert "recall 0.0000" in captured.out  # run B found nothing; run A's perfect img_2 does not count
    assert "1 of 2 ground-truth images have no result file" in captured.err and "img_2" in captured.err


def test_resume_continues_and_refuses_other_settings(d, tmp_path, capsys):
    out = tmp_path / "syn"
    argv = ["synth", "--n", "2", "--size", "32x48", "--workers", "1", "--out", str(out)]
    assert main(argv) == 0
    first = _tree(out)
    (out / "gt" / "gt_img_2.txt").unlink()  # as if interrupted
    assert main(argv + ["--resume"]) == 0
    assert _tree(out) == first
    capsys.readouterr()
    assert main(argv + ["--resume", "--seed", "7"]) == 1
    assert "seed 0 there, 7 now" in _one_line_error(capsys, "synth")
    with pytest.raises(SystemExit):  # one or the other
        main(argv + ["--resume", "--force"])


def test_augment_resumes_only_when_asked(d, tmp_path, capsys):
    dst = tmp_path / "aug"
    argv = ["augment", d.ic15, str(dst), "--format", "icdar2015", "--model", "default-distilled", "--no-progress"]
    assert main(argv) == 0
    done = _tree(dst)
    capsys.readouterr()
    assert main(argv) == 1
    assert "--resume" in _one_line_error(capsys, "augment")
    assert main(argv + ["--resume"]) == 0
    assert _tree(dst).keys() == done.keys()
    other = tmp_path / "other"
    other.mkdir()
    (other / "img_1.png").write_bytes(b"a file of another dataset")
    assert main(argv[:2] + [str(other)] + argv[3:]) == 1
    assert "holds no augment run" in _one_line_error(capsys, "augment")


# ------------------------------------------------------------------------------------------------ nothing to do
EMPTY_INPUT = {
    "detect": lambda d, out: ["detect", d.empty, "--model", d.tiny, "--out", out],
    "segment": lambda d, out: ["segment", d.empty, "--out", out],
    "propose": lambda d, out: ["propose", d.empty, "--out", out + ".csv"],
    "augment": lambda d, out: ["augment", d.empty, out, "--format", "icdar2015", "--model", "default-distilled"],
    "augment-no-gt": lambda d, out: ["augment", d.imgs, out, "--format", "icdar2015", "--model", "default-distilled"],
    "evaluate-gt": lambda d, out: ["evaluate", "--gt", d.empty, "--det", d.det, "--json", out + ".json"],
    "evaluate-det": lambda d, out: ["evaluate", "--gt", d.ic15, "--det", d.empty, "--json", out + ".json"],
    "evaluate-wrong-det": lambda d, out: ["evaluate", "--gt", d.ic15, "--det", d.other, "--json", out + ".json"],
    "teacher-label": lambda d, out: ["teacher-label", d.empty, "--out", out],
    "style-crops": lambda d, out: ["style-crops", d.empty, "--out", out],
    "train-style": lambda d, out: ["train-style", "--styles", d.empty, "--loss-net", "random", "--out", out + ".pt"],
    "distill": lambda d, out: ["distill", "--teacher", "default", "--data", d.empty, "--out", out + ".pt"],
}


@pytest.mark.parametrize("case", sorted(EMPTY_INPUT))
def test_empty_input_is_an_error_and_leaves_nothing(case, d, tmp_path, capsys):
    new = tmp_path / "new"  # the run would create it: a failed run must not leave it behind
    argv = EMPTY_INPUT[case](d, str(new / "out"))
    assert main(argv) == 1
    _one_line_error(capsys, argv[0])
    assert not new.exists()


# ------------------------------------------------------------------------------------------------ closed pipe
class _ClosedPipe:
    """stdout whose reader has gone (`| head`): every write raises, as a real closed pipe does."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self):
        raise OSError("no file descriptor")


CLOSED_PIPE = {
    "info": lambda d, t: ["info"],
    "weights": lambda d, t: ["weights", "-v"],
    "styles": lambda d, t: ["styles", "--model", "default-distilled"],
    "evaluate": lambda d, t: ["evaluate", "--gt", d.ic15, "--det", d.det],
    "propose": lambda d, t: ["propose", d.imgs, "--out", str(t / "p.csv")],
    "detect": lambda d, t: ["detect", d.imgs, "--model", d.tiny, "--max-side", "64", "--out", str(t / "res")],
    "synth": lambda d, t: ["synth", "--n", "1", "--size", "32x48", "--workers", "1", "--out", str(t / "s")],
    "export-weights": lambda d, t: ["export-weights", d.tiny, str(t / "e.pt")],
    "bench": lambda d, t: ["bench", "proposals", "-n", "1", "--size", "64x96", "--heatmap-source", "none"],
}


@pytest.mark.parametrize("case", sorted(CLOSED_PIPE))
def test_closed_stdout_ends_quietly(case, d, tmp_path, capsys, monkeypatch):
    argv = CLOSED_PIPE[case](d, tmp_path)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(argv) == EXIT_CLOSED_PIPE
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error" not in err, err


def test_closed_pipe_of_a_real_process():
    """`textvision weights -v | head`: no BrokenPipeError traceback, not even at the interpreter's exit."""
    proc = subprocess.Popen([sys.executable, "-m", "textvision", "weights", "-v"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_CLOSED_PIPE and err == "", err


# ------------------------------------------------------------------------------------------------ weights names
BAD_NAME = {
    "detect --model": lambda d, out: ["detect", d.imgs, "--model", "nosuch", "--out", out],
    "segment --model": lambda d, out: ["segment", d.imgs, "--model", "nosuch", "--out", out],
    "propose --fcn": lambda d, out: ["propose", d.imgs, "--fcn", "nosuch", "--out", out + ".csv"],
    "propose --ranker": lambda d, out: ["propose", d.imgs, "--ranker", "nosuch", "--out", out + ".csv"],
    "bench --fcn": lambda d, out: ["bench", "proposals", "-n", "1", "--fcn", "nosuch",
                                   "--json", out + ".json"],
    "stylize --model": lambda d, out: ["stylize", d.img, "--model", "nosuch", "--style", "0", "--out", out + ".png"],
    "stylize --fcn": lambda d, out: ["stylize", d.img, "--fcn", "nosuch", "--style", "0", "--out", out + ".png"],
    "styles --model": lambda d, out: ["styles", "--model", "nosuch", "--out", out + ".png"],
    "augment --model": lambda d, out: ["augment", d.ic15, out, "--format", "icdar2015", "--model", "nosuch"],
    "augment --fcn": lambda d, out: ["augment", d.ic15, out, "--format", "icdar2015", "--fcn", "nosuch"],
    "teacher-label --model": lambda d, out: ["teacher-label", d.imgs, "--model", "nosuch", "--out", out],
    "read --model": lambda d, out: ["read", d.imgs, "--model", "nosuch", "--out", out],
    "read --detector": lambda d, out: ["read", d.imgs, "--detector", "nosuch", "--out", out],
    "bench spotting --recognizer": lambda d, out: ["bench", "spotting", "--data", d.ic15, "--recognizer", "nosuch",
                                                   "--json", out + ".json"],
    "bench spotting --fcn": lambda d, out: ["bench", "spotting", "--data", d.ic15, "--fcn", "nosuch",
                                            "--json", out + ".json"],
    "distill --teacher": lambda d, out: ["distill", "--teacher", "nosuch", "--out", out + ".pt"],
    "distill --gate-fcn": lambda d, out: ["distill", "--teacher", "default", "--gate-fcn", "nosuch",
                                          "--out", out + ".pt"],
    "train-style --vgg": lambda d, out: ["train-style", "--styles", d.imgs, "--vgg", "nosuch", "--out", out + ".pt"],
    "train-text-fcn --init": lambda d, out: ["train-text-fcn", "--data", "synth", "--init", "nosuch", "--out", out + ".pt"],
    "train-east --init": lambda d, out: ["train-east", "--data", "synth:2:64", "--backbone", "tiny",
                                         "--input-size", "64", "--init", "nosuch", "--out", out + ".pt"],
    "train-east --augment": lambda d, out: ["train-east", "--data", "synth:2:64", "--backbone", "tiny",
                                            "--input-size", "64", "--augment", "nosuch", "--out", out + ".pt"],
}


@pytest.mark.parametrize("argv", list(BAD_NAME.values()), ids=list(BAD_NAME))
def test_unknown_registry_name_is_one_line_before_work(argv, d, tmp_path, capsys):
    new = tmp_path / "new"
    args = argv(d, str(new / "out"))
    assert main(args) == 1
    assert "registered names are" in _one_line_error(capsys, args[0])
    assert not new.exists()


def test_registry_names_wherever_a_weights_path_is(d, tmp_path, capsys):
    from textvision.augment import SelectiveTextStyle

    assert main(["stylize", d.img, "--fcn", "text_fcn_lite_synth", "--style", "0",
                 "--out", str(tmp_path / "s.png")]) == 0
    assert main(["propose", d.img, "--fcn", "synth", "--out", str(tmp_path / "p.csv")]) == 0
    assert main(["augment", d.ic15, str(tmp_path / "aug"), "--format", "icdar2015", "--fcn", "synth",
                 "--no-progress"]) == 0
    SelectiveTextStyle("default", fcn="default")
    with pytest.raises(ValueError, match="registered names are"):
        SelectiveTextStyle("default", fcn="nosuch")


def test_train_east_augment_takes_a_registry_name(tmp_path, capsys, monkeypatch):
    import textvision.east.train as train

    def reached(*a, **k):
        raise RuntimeError("training reached")

    monkeypatch.setattr(train, "train_east", reached)
    assert main(["train-east", "--data", "synth:2:64", "--backbone", "tiny", "--input-size", "64",
                 "--augment", "default", "--no-progress", "--out", str(tmp_path / "e.pt")]) == 1
    assert "training reached" in _one_line_error(capsys, "train-east")


def test_a_raw_pickle_is_one_line_without_warnings(d, tmp_path, capsys):
    import pickle

    from textvision.augment import SelectiveTextStyle

    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["detect", d.img, "--model", str(raw), "--out", str(tmp_path / "res")]) == 1
    assert [str(w.message) for w in caught] == []
    assert str(raw) in _one_line_error(capsys, "detect")
    # The transform reads its checkpoint at construction: a missing or wrong file fails there.
    for model in (str(tmp_path / "missing.pt"), str(raw)):
        with pytest.raises((FileNotFoundError, ValueError), match=Path(model).name):
            SelectiveTextStyle(model)


# ------------------------------------------------------------------------------------------------ the rest
@pytest.mark.parametrize("command", [
    "detect", "propose", "stylize",
    "segment",
])
def test_one_bad_image_is_one_line(command, d, tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not a jpeg at all")
    argv = {"detect": ["detect", str(bad), "--model", d.tiny, "--out", str(tmp_path / "o")],
            "propose": ["propose", str(bad), "--out", str(tmp_path / "o.csv")],
            "stylize": ["stylize", str(bad), "--style", "0", "--out", str(tmp_path / "o.png")],
            "segment": ["segment", str(bad), "--out", str(tmp_path / "o")]}[command]
    assert main(argv) == 1
    assert "bad.jpg" in _one_line_error(capsys, command)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jpg"]


def test_detect_clips_quads_to_the_image(d, tmp_path, monkeypatch):
    import importlib

    decode = importlib.import_module("textvision.east.decode")  # the module (textvision.east.decode is a function)

    # A word cut by both borders, as the decoded geometry of a border word gives it.
    quads = np.array([[[-30, -4], [120, -4], [120, 20], [-30, 20]], [[10, 10], [40, 10], [40, 70], [10, 70]]],
                     np.float32)
    monkeypatch.setattr(decode, "detect", lambda *a, **k: decode.Detections(quads, np.ones(2, np.float32)))
    assert main(["detect", d.img, "--model", d.tiny, "--overlay", "--out", str(tmp_path / "res")]) == 0
    got = np.array([t.quad for t in read_icdar2015(tmp_path / "res" / "res_img_1.txt")])
    assert got.shape == (2, 4, 2)
    assert got[..., 0].min() == 0 and got[..., 0].max() == 95  # the image is 96 wide, 64 high
    assert got[..., 1].min() == 0 and got[..., 1].max() == 63


def test_propose_no_map_flag_does_not_swallow_the_image(d, tmp_path):
    assert main(["propose", "--no-map", d.img, "--out", str(tmp_path / "p.csv")]) == 0
    assert main(["propose", d.imgs, "--no-map", "--out", str(tmp_path / "q.json")]) == 0  # a folder too
    assert len(json.loads((tmp_path / "q.json").read_text())) == 2


def _options(parser, prefix=""):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{prefix} {name}".strip())
        elif action.option_strings and action.help != argparse.SUPPRESS:
            yield prefix, parser, action


def test_help_states_defaults_and_required_options():
    seen = 0
    for command, parser, action in _options(build_parser()):
        text = parser._get_formatter()._expand_help(action)
        if action.required:
            assert "required" in text, (command, action.option_strings)
        elif action.nargs != 0 and action.default not in (None, False, [], ()):
            assert "default" in text, (command, action.option_strings, text)
        seen += 1
    assert seen > 200
    parser = build_parser()
    text = parser._subparsers._group_actions[0].choices["distill"].format_help()
    assert "no TextFCN needed" not in text and "--gate-fcn" in text


def test_weights_table_is_aligned(capsys):
    assert main(["weights"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if " MB  " in line]
    assert len({line.index(" MB  ") for line in rows}) == 1, rows


def test_weights_speed_figure_agrees_with_the_readme():
    import re

    from textvision.weights import REGISTRY

    registry = re.search(r"(\d+\.\d+)x", REGISTRY["style_default_distilled"].purpose).group(1)
    readme = re.search(r"runs (\d+\.\d+)x faster", (ROOT / "README.md").read_text()).group(1)
    assert registry == readme


def test_the_demo_folder_is_ignored_by_git():
    assert "/textvision_demo/" in (ROOT / ".gitignore").read_text().splitlines()


# ------------------------------------------------------------------------------------------ one file per input stem
SAME_STEM = {  # commands writing one result per input, named after its stem
    "detect": lambda d, a, out: ["detect", *a, "--model", d.tiny, "--max-side", "64", "--no-progress", "--out", out],
    "segment": lambda d, a, out: ["segment", *a, "--no-progress", "--out", out],
    "read": lambda d, a, out: ["read", *a, "--detector", d.tiny, "--no-progress", "--out", out],
}


@pytest.mark.parametrize("command", sorted(SAME_STEM))
def test_two_inputs_sharing_a_stem_are_refused_before_work(command, d, tmp_path, capsys):
    """a/x.png and b/x.jpg would overwrite each other's result: an error naming both, nothing written."""
    from textvision.io import read_rgb, write_image

    image = read_rgb(d.img)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_image(tmp_path / "a" / "x.png", image)
    write_image(tmp_path / "b" / "x.jpg", image)
    out = tmp_path / "out"
    argv = SAME_STEM[command](d, [str(tmp_path / "a" / "x.png"), str(tmp_path / "b" / "x.jpg")], str(out))
    assert main(argv) == 1
    err = _one_line_error(capsys, command)
    assert "a/x.png" in err and "b/x.jpg" in err and "would both write" in err
    assert not out.exists()


def test_distinct_stems_keeps_a_file_given_twice_once(tmp_path):
    from textvision._cli import distinct_stems

    a, b = tmp_path / "x.png", tmp_path / "y.png"
    assert distinct_stems([a, b, tmp_path / "." / "x.png", a], "res_{stem}.txt") == [a, b]
    with pytest.raises(ValueError, match=r"would both write res_x\.txt"):
        distinct_stems([a, tmp_path / "sub" / "x.jpg"], "res_{stem}.txt")
