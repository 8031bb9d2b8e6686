"""Inject known defects into a scratch copy of the tree, one at a time, and name the tests that catch each.

Each defect of issue 30's mutation audit (and a few more next to the same tests) is a literal text
replacement in one file. The tree is copied once; for every defect the script edits that copy, runs the
tests meant to guard the code there, records which of them fail, and restores the file. A defect that
no test catches is reported as NOT CAUGHT and the exit status is 1.

    python tools/mutation_check.py            # every defect
    python tools/mutation_check.py --list     # their names
    python tools/mutation_check.py -k resume  # defects whose name contains "resume"

The scratch copy holds the git-tracked and untracked (not ignored) files of the working tree plus the
compiled core (``textvision/_C*.so``); ``PYTHONPATH`` points at it, so the copy wins over an editable
install. The tests run first on the unmodified copy: a test that already fails there cannot vouch for
anything and stops the script. Defects whose tests need a CUDA device are reported as not run without one.
Run it under ``nice`` on a shared machine; it takes a few minutes.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Defect:
    """``edits``: (old, new) text replacements in ``file``; each ``old`` must occur exactly once."""

    name: str
    file: str
    edits: Sequence[Tuple[str, str]]
    tests: Sequence[str]
    why: str
    needs_cuda: bool = False


EDGE = "tests/eval/test_edge_rules.py"
JPEG = "tests/test_damaged_jpegs.py"
STYLED = ["tests/augment/test_style_assignment.py",
          "tests/augment/test_dataset.py::test_resume_and_shards_give_the_same_tree"]
# the trainers' modules also hold trainings and torchrun runs (minutes on a loaded machine): their
# per-epoch and resume tests only
FCN_EPOCHS = ["tests/text_fcn/test_train.py::test_crops_change_every_epoch_through_workers_and_resume_repeats_them",
              "tests/text_fcn/test_train.py::test_resumed_training_equals_an_uninterrupted_run"]
EAST_EPOCHS = ["tests/east/test_train.py::test_crops_change_every_epoch_in_train_east_and_resume_repeats_them",
               "tests/east/test_train.py::test_crops_change_every_epoch_and_repeat_after_resume",
               "tests/east/test_train.py::test_checkpoint_resume_equals_uninterrupted_and_load"]
DEFECTS: List[Defect] = [
    Defect("order_clockwise: no copy in the batched counter-clockwise branch", "textvision/data/instances.py",
           [("    if ccw.any():\n        q = q.copy()\n", "    if ccw.any():\n")],
           ["tests/test_inputs_unmodified.py"], "re-orders the caller's quads (and icdar2015's, through _quads)"),
    Defect("augment: every copy rendered with the first planned style", "textvision/augment/dataset.py",
           [("styled = styler(image, [p.style for p in copies])",
             "styled = styler(image, [copies[0].style for p in copies])")],
           STYLED, "the manifest names the planned styles, the pixels show one"),
    Defect("augment: resume gives a half-done image's remaining copies the first copy's style",
           "textvision/augment/dataset.py",
           [("styled = styler(image, [p.style for p in copies])",
             "styled = styler(image, [copies[0].style if len(todo) < len(planned) else p.style for p in copies])")],
           STYLED, "only resumed runs are wrong"),
    Defect("train_text_fcn: set_epoch no longer called", "textvision/text_fcn/train.py",
           [("        train_set.set_epoch(epoch)\n", "")],
           FCN_EPOCHS, "every epoch repeats the first epoch's crops"),
    Defect("train_text_fcn: persistent DataLoader workers", "textvision/text_fcn/train.py",
           [("persistent_workers=False)", "persistent_workers=cfg.workers > 0)")],
           FCN_EPOCHS, "set_epoch does not reach the workers' copies"),
    Defect("train_east: set_epoch no longer called", "textvision/east/train.py",
           [("        data.set_epoch(epoch)\n", "")],
           EAST_EPOCHS, "every epoch repeats the first epoch's crops"),
    Defect("train_east: persistent DataLoader workers", "textvision/east/train.py",
           [("generator=generator, worker_init_fn=_worker_init)",
             "generator=generator, worker_init_fn=_worker_init, persistent_workers=config.workers > 0)")],
           EAST_EPOCHS, "set_epoch does not reach the workers' copies"),
    Defect("train_east: a resumed run restarts the augmentation at epoch 0", "textvision/east/train.py",
           [("        data.set_epoch(epoch)\n", "        data.set_epoch(epoch - start_epoch)\n")],
           EAST_EPOCHS, "resumed crops differ from an uninterrupted run's"),
    Defect("checkpoint: torch.load without weights_only=True", "textvision/checkpoint.py",
           [("torch.load(path, map_location=map_location, weights_only=True)",
             "torch.load(path, map_location=map_location)")],
           ["tests/test_safe_loading.py", "tests/test_io.py"],
           "safe only on torch >= 2.6, whose default it is; pyproject allows 2.1"),
    Defect("read_rgb: no warning for a truncated JPEG", "textvision/io.py",
           [("    if truncated:\n        logger.warning(", "    if False:\n        logger.warning("),
            ("    elif reported:\n", "    elif reported and not truncated:\n")],
           [JPEG, "tests/test_io.py",
            "tests/text_fcn/test_segment.py::test_cli_segment_truncated_jpeg_warns_and_is_processed"], "a cut-short file is used silently"),
    Defect("read_rgb: libjpeg's corrupt-data report not caught", "textvision/io.py",
           [('    if data[:2] == b"\\xff\\xd8":\n        img, reported', '    if False:\n        img, reported')],
           [JPEG], "only libjpeg's anonymous 'Corrupt JPEG data' line, naming no file"),
    Defect("segment: no bf16 autocast on CUDA", "textvision/text_fcn/inference.py",
           [('            with torch.autocast("cuda", dtype=torch.bfloat16):\n',
             '            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=False):\n')],
           ["tests/test_cuda.py"], "float32 on the GPU, the documented bf16 not used", needs_cuda=True),
    Defect("stylize: device ignored (runs on the CPU)", "textvision/style/inference.py",
           [("    if device is None:\n        device = next(model.parameters()).device\n    else:\n",
             "    if True:\n        device = next(model.parameters()).device\n    else:\n")],
           ["tests/test_cuda.py", "tests/style/test_stylize.py", "tests/augment/test_transforms.py"],
           "the CPU-vs-CUDA comparison alone would pass", needs_cuda=True),
    Defect("augment: device ignored (restyles on the CPU)", "textvision/augment/dataset.py",
           [("        self.device = torch.device(device)\n", "        self.device = torch.device(\"cpu\")\n")],
           ["tests/test_cuda.py", "tests/augment/test_dataset.py"], "same files, made on the CPU",
           needs_cuda=True),
    Defect("icdar2015: don't-care overlap >= instead of >", "textvision/eval/iou_protocol.py",
           [("det_dc = (frac > dc_thr).any(0)", "det_dc = (frac >= dc_thr).any(0)")],
           [EDGE, "tests/eval/test_iou_protocol.py"], "drops detections exactly half on a don't care"),
    Defect("icdar2015: best-IoU detection instead of the first free one", "textvision/eval/iou_protocol.py",
           [("d = int(cand[0])", "d = int(cand[np.argmax(iou[g, cand])])")],
           [EDGE, "tests/eval/test_iou_protocol.py"], "not the official script's greedy order"),
    Defect("icdar2015: IoU >= 0.5 matches", "textvision/eval/iou_protocol.py",
           [("(iou > iou_thr).any(1)", "(iou >= iou_thr).any(1)"),
            ("(iou[g] > iou_thr) & ~det_used", "(iou[g] >= iou_thr) & ~det_used")],
           [EDGE, "tests/eval/test_iou_protocol.py"], "an IoU of exactly 0.5 counts as a match"),
    Defect("deteval: don't-care overlap >= instead of >", "textvision/eval/deteval.py",
           [("det_dc = (frac > tp).any(1)", "det_dc = (frac >= tp).any(1)")],
           [EDGE, "tests/eval/test_deteval.py"], "drops detections exactly 0.4 on a don't care"),
    Defect("deteval: area recall > 0.8 instead of >=", "textvision/eval/deteval.py",
           [("ok = (R >= tr) & (P >= tp)", "ok = (R > tr) & (P >= tp)")],
           [EDGE, "tests/eval/test_deteval.py"], "a one-to-one match at exactly 0.8 area recall is lost"),
    Defect("deteval: split sum > 0.8 instead of >=", "textvision/eval/deteval.py",
           [("if round(float(R[i, js].sum()), 4) >= tr", "if round(float(R[i, js].sum()), 4) > tr")],
           [EDGE, "tests/eval/test_deteval.py"], "a split covering exactly 0.8 of the word is lost"),
    Defect("deteval: split sum not rounded to 4 decimals", "textvision/eval/deteval.py",
           [("if round(float(R[i, js].sum()), 4) >= tr", "if float(R[i, js].sum()) >= tr")],
           [EDGE, "tests/eval/test_deteval.py"], "a split of 0.79996 is lost (the script rounds it to 0.8)"),
]


def _copy_tree(dst: Path) -> None:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, check=True).stdout
    for rel in filter(None, out.decode().split("\0")):
        src = ROOT / rel
        if not src.is_file():  # deleted in the working tree, or a submodule
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    for ext in (ROOT / "textvision").glob("_C*.so"):  # the compiled core is ignored by git
        shutil.copy2(ext, dst / "textvision" / ext.name)


def _run_tests(copy: Path, tests: Sequence[str], timeout: int) -> Tuple[int, List[str], str]:
    """Run pytest on ``tests`` inside the copy; returns (exit status, failed node ids, output tail)."""
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", "--no-header",
           "-W", "ignore::pytest.PytestUnraisableExceptionWarning", *tests]
    try:
        proc = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return 124, [], f"timed out after {timeout} s: {(exc.stdout or '')[-2000:]}"
    text = proc.stdout + proc.stderr
    failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+?)(?: - .*)?$", text, flags=re.M)))
    return proc.returncode, failed, text[-3000:]


def _cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", dest="match", default=None, help="only defects whose name contains this")
    ap.add_argument("--list", action="store_true", help="list the defects and exit")
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy (its path is printed)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per pytest run (default 600)")
    args = ap.parse_args(argv)

    defects = [d for d in DEFECTS if args.match is None or args.match.lower() in d.name.lower()]
    if args.list:
        for d in defects:
            print(f"{d.name}\n    {d.file}: {d.why}\n    guarded by: {' '.join(d.tests)}")
        return 0
    if not defects:
        print(f"no defect matches {args.match!r}", file=sys.stderr)
        return 2
    cuda = _cuda()
    scratch = Path(tempfile.mkdtemp(prefix="tv-mutation-"))
    try:
        _copy_tree(scratch)
        probe = subprocess.run([sys.executable, "-c", "import textvision; print(textvision.__file__)"],
                               cwd=scratch, env=dict(os.environ, PYTHONPATH=str(scratch)), capture_output=True,
                               text=True, check=True).stdout.strip()
        if not probe.startswith(str(scratch)):
            print(f"the copy does not win over the installed package ({probe}); stopping", file=sys.stderr)
            return 2
        runnable = [d for d in defects if cuda or not d.needs_cuda]
        tests = sorted({t for d in runnable for t in d.tests})
        if tests:  # (an empty selection would make pytest run the whole suite)
            t0 = time.time()
            rc, failed, tail = _run_tests(scratch, tests, args.timeout)
            print(f"baseline (no defect): {len(tests)} test selection(s), exit {rc}, {time.time() - t0:.0f} s")
            if rc != 0:
                print(f"the unmodified copy already fails: {failed or tail}", file=sys.stderr)
                return 2
        missed = 0
        for d in defects:
            path = scratch / d.file
            text = path.read_text("utf-8")
            counts = [text.count(old) for old, _ in d.edits]
            if counts != [1] * len(d.edits):
                print(f"\n[{d.name}]\n    SKIPPED: the code to change occurs {counts} times in {d.file} "
                      f"(the tree moved on; update the defect)")
                missed += 1
                continue
            if d.needs_cuda and not cuda:
                print(f"\n[{d.name}]\n    NOT RUN: its tests need a CUDA device ({', '.join(d.tests)})")
                continue
            mutated = text
            for old, new in d.edits:
                mutated = mutated.replace(old, new)
            path.write_text(mutated, "utf-8")
            t0 = time.time()
            try:
                rc, failed, tail = _run_tests(scratch, d.tests, args.timeout)
            finally:
                path.write_text(text, "utf-8")
            print(f"\n[{d.name}]  ({d.file}: {d.why}; {time.time() - t0:.0f} s)")
            if failed:
                for f in failed[:6]:
                    print(f"    fails {f}")
                if len(failed) > 6:
                    print(f"    ... and {len(failed) - 6} more")
            elif rc != 0:
                print(f"    the test run failed without naming a test (exit {rc}):\n{tail}")
            else:
                print("    NOT CAUGHT: every test passed")
                missed += 1
        not_run = len(defects) - len(runnable)
        print(f"\n{len(runnable) - missed} of {len(runnable)} defect(s) run caught by a named test"
              + (f"; {not_run} not run (no CUDA device)" if not_run else ""))
        return 1 if missed else 0
    finally:
        if args.keep:
            print(f"scratch copy kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
