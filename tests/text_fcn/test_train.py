"""TextFCN training (textvision.text_fcn.train and ``textvision train-text-fcn``): pixel metrics, data
adapters, learning, checkpoints and resume, DDP, and the command's data-safety checks."""
import importlib

import numpy as np
import pytest
import torch

from textvision.checkpoint import load_checkpoint
from textvision.eval import pixel_scores
from textvision.text_fcn.train import (
    IGNORE_LABEL,
    ClassWeights,
    FCNTrainSet,
    SampleSource,
    TextFCNTrainConfig,
    class_weights,
    evaluate_fcn,
    synth_source,
    train_text_fcn,
)

# The module (textvision.models.text_fcn, the attribute, is the builder function of the same name).
fcn = importlib.import_module("textvision.models.text_fcn")


def test_pixel_scores_hand_worked():
    prob = np.array([[0.9, 0.6, 0.1], [0.2, 0.7, 0.4]], np.float32)
    mask = np.array([[1, 0, 1], [0, 1, 1]], np.uint8)
    s = pixel_scores(prob, mask)
    assert (s.tp, s.fp, s.fn) == (2, 1, 2)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(4 / 7) and s.iou == pytest.approx(0.4)
    ign = np.array([[0, 1, 0], [0, 0, 1]], np.uint8)
    s = pixel_scores(prob, mask, ign)
    assert (s.tp, s.fp, s.fn) == (2, 0, 1)


def _scene_set(n, seed, size=(96, 96)):
    return synth_source(n, size, seed, "pixel", max_lines=3, min_height=14.0)


def test_train_set_marks_ignore_and_pads():
    from textvision.data import TextInstance

    base = [{"image": np.zeros((20, 30, 3), np.uint8), "instances": [
        TextInstance(np.array([[2, 2], [10, 2], [10, 8], [2, 8]], np.float32), "ab", False),
        TextInstance(np.array([[14, 2], [20, 2], [20, 8], [14, 8]], np.float32), "###", True)]}]
    src = SampleSource(base, "box")
    s = src[0]
    assert s.text[5, 5] == 1 and s.ignore[5, 16] == 1 and s.text[5, 16] == 0
    x, y = FCNTrainSet(src, crop=64, train=True, seed=1)[0]
    assert x.shape == (3, 64, 64) and y.shape == (64, 64)
    assert set(torch.unique(y).tolist()) <= {0, 1, IGNORE_LABEL}
    assert int((y == IGNORE_LABEL).sum()) > 64 * 64 // 2  # the padding beyond the small image
    with pytest.raises(ValueError, match="pixel"):
        SampleSource(base, "pixel")[0]
    weights = class_weights(src, "inverse")
    wb, wt = weights
    assert type(weights) is ClassWeights and (weights.background, weights.text) == (wb, wt)
    assert int(s.text.sum()) == 9 * 7 and int(s.ignore.sum()) == 7 * 7  # fillPoly includes the edges
    f = 63 / (600 - 49)
    assert wb == pytest.approx(0.5 / (1 - f)) and wt == pytest.approx(0.5 / f)


@pytest.mark.slow
def test_learning_on_synthetic_scenes_and_resume(tmp_path):
    """A lite TextFCN trained for 96 steps (batch 4, no augmentation) on 32 synthetic 96x96 scenes:
    the loss falls by more than half (0.54 -> 0.16 here) and the pixel IoU at 0.5 on those scenes
    passes 0.30 (0.40 here; 0 before training). Then the checkpoint round trip and resume."""
    train = _scene_set(32, seed=3)
    out = tmp_path / "fcn.pt"
    cfg = TextFCNTrainConfig(out=str(out), epochs=12, batch_size=4, crop=96, warmup_steps=5, progress=False,
                             lr=5e-3, seed=0, augment=False)
    res = train_text_fcn(cfg, train, train)
    h = res.history
    assert len(h) == 12 and h[-1]["loss"] < 0.5 * h[0]["loss"], h
    assert h[-1]["iou"] > 0.30, h
    assert res.checkpoint == str(out) and res.seconds > 0
    assert res.best_score == max(r["f1"] for r in h) == h[res.best_epoch - 1]["f1"]
    ckpt = load_checkpoint(out, "text_fcn")
    model = fcn.text_fcn_from_checkpoint(ckpt, out)
    assert ckpt["epoch"] == 12 and ckpt["step"] == 96 and ckpt["optimizer"]["state"]
    assert ckpt["config"] == res.model.config and ckpt["train_config"]["crop"] == 96
    for k, v in res.model.state_dict().items():
        torch.testing.assert_close(model.state_dict()[k], v)
    s = evaluate_fcn(model, train, "cpu")
    assert s.iou == pytest.approx(h[-1]["iou"], abs=1e-6)
    # resume with a larger budget continues at epoch 13 / step 96 with the saved optimizer state
    cfg2 = TextFCNTrainConfig(out=str(tmp_path / "fcn2.pt"), epochs=13, batch_size=4, crop=96, warmup_steps=5,
                              progress=False, lr=5e-3, resume=str(out), augment=False)
    res2 = train_text_fcn(cfg2, train, None)
    assert [r["epoch"] for r in res2.history] == list(range(1, 14))
    ck2 = torch.load(tmp_path / "fcn2.pt", weights_only=True)
    assert ck2["epoch"] == 13 and ck2["step"] == 104


def _kill_after_epoch_1(monkeypatch, tf, run):
    """Run ``run()`` with the checkpoint writer raising KeyboardInterrupt right after epoch 1's save (a
    killed run that left a complete checkpoint); the writer is restored afterwards."""
    real_save = tf.save_text_fcn

    def save_then_die(path, model, **kw):
        real_save(path, model, **kw)
        if kw["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(tf, "save_text_fcn", save_then_die)
    try:
        with pytest.raises(KeyboardInterrupt):
            run()
    finally:
        monkeypatch.setattr(tf, "save_text_fcn", real_save)


def test_resumed_training_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    """Interrupted right after the epoch-1 checkpoint, then resumed: the same weights, history and
    counters as one uninterrupted run (augmentation on, so its RNG and the shuffle must line up)."""
    from textvision.text_fcn import train as tf

    train = synth_source(8, (64, 64), 3, "pixel", max_lines=2, min_height=12.0)

    def cfg(out, **kw):
        return TextFCNTrainConfig(out=str(out), epochs=3, batch_size=4, crop=64, warmup_steps=2, progress=False,
                                  lr=5e-3, seed=0, augment=True, widths=(8, 16, 16, 24, 32), save_every_epoch=True,
                                  **kw)

    full = train_text_fcn(cfg(tmp_path / "full.pt"), train, None)
    _kill_after_epoch_1(monkeypatch, tf, lambda: train_text_fcn(cfg(tmp_path / "cut.pt"), train, None))
    assert torch.load(tmp_path / "cut.pt", weights_only=True)["epoch"] == 1
    resumed = train_text_fcn(cfg(tmp_path / "cut.pt", resume=str(tmp_path / "cut.pt")), train, None)
    for k, v in full.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[k], v, rtol=0, atol=0, msg=k)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]
    a, b = torch.load(tmp_path / "full.pt", weights_only=True), torch.load(tmp_path / "cut.pt", weights_only=True)
    assert (a["epoch"], a["step"]) == (b["epoch"], b["step"]) == (3, 6)
    assert a["scheduler"] == b["scheduler"]


def _record_inputs(monkeypatch, tf):
    """Patch the trainer's model constructors so every training batch the network sees is recorded."""
    seen = []

    def recording(make):
        def wrapped(*args, **kwargs):
            out = make(*args, **kwargs)
            model = out[0] if isinstance(out, tuple) else out
            model.register_forward_pre_hook(lambda mod, inputs: seen.append(inputs[0].detach().clone()))
            return out
        return wrapped

    monkeypatch.setattr(tf, "build_text_fcn", recording(tf.build_text_fcn))
    monkeypatch.setattr(tf, "text_fcn", recording(tf.text_fcn))
    monkeypatch.setattr(tf, "text_fcn_from_checkpoint", recording(tf.text_fcn_from_checkpoint))
    return seen


def _crops(batch):
    """The batch's crops as an order-free multiset (the shuffle changes every epoch anyway)."""
    return sorted(x.numpy().tobytes() for x in batch)


def test_crops_change_every_epoch_through_workers_and_resume_repeats_them(tmp_path, monkeypatch):
    """With a DataLoader worker, every epoch draws new crops (set_epoch reaches the worker's copy of the
    dataset), and a run resumed after epoch 1 is fed exactly the batches an uninterrupted run gets later."""
    from textvision.text_fcn import train as tf

    train = synth_source(4, (64, 64), 3, "pixel", max_lines=2, min_height=12.0)

    def cfg(out, **kw):
        # one batch of all 4 samples per epoch; one worker process
        return TextFCNTrainConfig(out=str(out), epochs=3, batch_size=4, crop=48, warmup_steps=1, progress=False,
                                  lr=5e-3, seed=0, augment=True, widths=(4, 4, 4, 4, 4), workers=1, **kw)

    seen = _record_inputs(monkeypatch, tf)
    train_text_fcn(cfg(tmp_path / "full.pt"), train, None)
    full = list(seen)
    assert len(full) == 3
    assert len({tuple(_crops(b)) for b in full}) == 3, "an epoch repeated an earlier epoch's crops"
    seen.clear()
    _kill_after_epoch_1(monkeypatch, tf, lambda: train_text_fcn(cfg(tmp_path / "cut.pt"), train, None))
    seen.clear()
    train_text_fcn(cfg(tmp_path / "cut.pt", resume=str(tmp_path / "cut.pt")), train, None)
    assert len(seen) == 2
    for got, want in zip(seen, full[1:]):  # same crops in the same order
        torch.testing.assert_close(got, want, rtol=0, atol=0)


@pytest.mark.slow
def test_torchrun_ddp_two_cpu_processes(tmp_path):
    """Launched by torchrun with 2 CPU workers, train_text_fcn runs DDP over gloo: each rank sees half
    the batches (2 steps per epoch instead of 4) and rank 0 writes the checkpoint."""
    import os
    import shutil
    import subprocess
    import sys

    torchrun = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")
    if not os.path.exists(torchrun):
        pytest.skip("torchrun not installed")
    script = tmp_path / "ddp.py"
    script.write_text(
        "import sys, torch\n"
        "torch.set_num_threads(1)\n"
        "from textvision.text_fcn.train import TextFCNTrainConfig, synth_source, train_text_fcn\n"
        "tr = synth_source(16, (64, 64), 5, 'pixel', max_lines=2, min_height=12.0)\n"
        "cfg = TextFCNTrainConfig(out=sys.argv[1], epochs=2, batch_size=4, crop=64, progress=False, warmup_steps=2,\n"
        "                     widths=(8, 16, 16, 24, 32))\n"
        "train_text_fcn(cfg, tr, tr)\n")
    out = tmp_path / "ddp.pt"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([torchrun, "--standalone", "--nproc_per_node=2", str(script), str(out)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["step"] == 4
    assert not any(k.startswith("module.") for k in ckpt["state_dict"])
    assert len(ckpt["history"]) == 2 and "f1" in ckpt["history"][-1]


def test_make_sources_icdar2015_boxes_and_dont_care(tmp_path):
    import cv2

    from textvision.text_fcn.train import make_sources

    for i in range(1, 6):
        cv2.imwrite(str(tmp_path / f"img_{i}.jpg"), np.full((40, 60, 3), 30 * i, np.uint8))
        (tmp_path / f"gt_img_{i}.txt").write_text(
            "\ufeff5,5,25,5,25,15,5,15,HELLO\n30,20,50,20,50,30,30,30,###\n", encoding="utf-8")
    # ICDAR 2015 holds out by name (the project's fixed split), here img_5
    train, val = make_sources(f"icdar2015:{tmp_path}", mask_source="auto", holdout="img_5")
    assert len(train) == 4 and len(val) == 1 and int(val[0].image[0, 0, 0]) == 150
    with pytest.raises(ValueError, match="no image named"):
        make_sources(f"icdar2015:{tmp_path}")  # img_901-img_1000: none here
    s = train[0]
    assert s.image.shape == (40, 60, 3) and s.text.shape == (40, 60)
    assert s.text[10, 15] == 1 and s.ignore[25, 40] == 1 and s.text[25, 40] == 0
    assert int(s.text.sum()) == 21 * 11  # box mask, edges included
    with pytest.raises(FileNotFoundError, match="nope"):
        make_sources(f"icdar2015:{tmp_path / 'nope'}")
    with pytest.raises(ValueError, match="unknown --data"):
        make_sources("imagenet:/x")


def test_cli_train_text_fcn_synth_with_export(tmp_path, capsys):
    from textvision.cli import main

    out, exp = tmp_path / "c.pt", tmp_path / "w.pt"
    rc = main(["train-text-fcn", "--data", "synth", "--synth-n", "8", "--synth-val-n", "2", "--synth-size", "64x64",
               "--epochs", "1", "--batch-size", "4", "--crop", "64", "--widths", "8,16,16,24,32",
               "--threads", "1", "--out", str(out), "--export", str(exp), "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "epoch 1: loss" in printed and "val P" in printed
    ck, w = torch.load(out, weights_only=True), torch.load(exp, weights_only=True)
    assert ck["optimizer"] is not None and w["optimizer"] is None and w["epoch"] == 1
    assert ck["train_config"]["train_images"] == 8 and len(list((tmp_path / "cache").glob("*.npz"))) == 2
    assert fcn.text_fcn(weights=exp).config["widths"] == [8, 16, 16, 24, 32]
    assert main(["train-text-fcn", "--data", "mnist", "--out", str(out)]) == 1



def test_train_text_fcn_logs_instead_of_printing(tmp_path, capsys, caplog):
    train = _scene_set(4, seed=9, size=(64, 64))
    seen = []
    cfg = TextFCNTrainConfig(out=str(tmp_path / "f.pt"), epochs=1, batch_size=4, crop=64, warmup_steps=1, progress=True,
                             widths=(8, 16, 16, 24, 32), augment=False)
    with caplog.at_level("INFO", logger="textvision.text_fcn"):
        train_text_fcn(cfg, train, train, on_epoch=seen.append)
    assert capsys.readouterr().out == ""  # library code prints nothing; the command prints via on_epoch
    assert [r["epoch"] for r in seen] == [1] and "f1" in seen[0]
    assert any(r.name == "textvision.text_fcn" and "epoch 1: loss" in r.getMessage() for r in caplog.records)


def test_train_text_fcn_checks_outputs_before_training(tmp_path):
    class Untouchable:
        def __len__(self):
            raise AssertionError("training data read before the output check")

        __getitem__ = __len__

    (tmp_path / "afile").write_text("x")
    for bad in (TextFCNTrainConfig(out=str(tmp_path / "afile" / "f.pt")),
                TextFCNTrainConfig(out=str(tmp_path / "ok.pt"), export=str(tmp_path / "afile" / "w.pt")),
                TextFCNTrainConfig(out=str(tmp_path))):
        with pytest.raises(ValueError, match="afile|folder"):
            train_text_fcn(bad, Untouchable())


_TINY = ["--data", "synth", "--synth-n", "4", "--synth-val-n", "1", "--synth-size", "64x64", "--epochs", "1",
         "--batch-size", "4", "--crop", "64", "--widths", "8,16,16,24,32", "--threads", "1", "--no-progress"]


@pytest.fixture
def no_data(monkeypatch):
    """Fails the test when train-text-fcn gets as far as building its data (the checks must come first)."""
    import textvision.text_fcn.train as train_module

    def fail(*a, **k):
        raise AssertionError("train-text-fcn built its data before refusing")

    monkeypatch.setattr(train_module, "make_sources", fail)


def test_cli_train_text_fcn_refuses_to_overwrite_a_checkpoint(tmp_path, capsys, no_data):
    from textvision.cli import main

    out = tmp_path / "run.pt"
    out.write_bytes(b"precious")
    assert main(["train-text-fcn", *_TINY, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists" in err and "--resume" in err
    assert out.read_bytes() == b"precious"
    exp = tmp_path / "w.pt"
    exp.write_bytes(b"precious too")
    assert main(["train-text-fcn", *_TINY, "--out", str(tmp_path / "new.pt"), "--export", str(exp)]) == 1
    assert exp.read_bytes() == b"precious too" and not (tmp_path / "new.pt").exists()
    # --resume of another run does not license overwriting this one
    other = fcn.save_text_fcn(tmp_path / "other.pt", fcn.text_fcn("lite", widths=(8, 16, 16, 24, 32)))
    assert main(["train-text-fcn", *_TINY, "--out", str(out), "--resume", str(other)]) == 1
    assert out.read_bytes() == b"precious"


def test_cli_train_text_fcn_unwritable_out_fails_before_training(tmp_path, capsys, no_data, monkeypatch):
    import textvision.io
    from textvision.cli import main

    (tmp_path / "afile").write_text("x")
    assert main(["train-text-fcn", *_TINY, "--out", str(tmp_path / "afile" / "run.pt")]) == 1
    assert "afile" in capsys.readouterr().err

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(textvision.io.tempfile, "mkstemp", denied)
    assert main(["train-text-fcn", *_TINY, "--out", str(tmp_path / "ro" / "run.pt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Permission denied" in err


@pytest.mark.parametrize("flag", ["--init", "--resume"])
def test_cli_train_text_fcn_refuses_code_in_weights(tmp_path, capsys, evil_checkpoint, no_data, flag):
    from textvision.cli import main

    path, marker = evil_checkpoint
    assert main(["train-text-fcn", *_TINY, "--out", str(tmp_path / "run.pt"), flag, str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision train-text-fcn: error:") and err.count("\n") == 1 and "refused" in err
    assert not marker.exists() and not (tmp_path / "run.pt").exists()
