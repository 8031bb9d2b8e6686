"""Instructions and (simulated) branch mispredictions per pixel in the MSER flood, under cachegrind.

Run from the repository root (needs ``valgrind`` and a C++17 compiler; a few seconds):

    python tools/profile_mser_flood.py

It compiles ``csrc/mser`` with a small driver (``profile_mser_flood.cpp``) at ``-O3 -g`` (the
extension's optimisation level, plus line information, which release builds of the extension drop),
runs it under ``valgrind --tool=cachegrind --branch-sim=yes`` on the images ``benchmarks/bench_mser.py`` uses
(1280x720 grey, OpenCV's default parameters, one thread), and divides the counts cachegrind gives
the flood function (``Flooder::flood``) by the pixels flooded: two passes over each image's interior.
The branch predictor is cachegrind's simple model, not the CPU's, so the misprediction figures say
where the unpredictable branches are rather than what they cost. ``docs/ops.md`` quotes the figures
it gave.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CSRC = os.path.join(ROOT, "csrc")
FLOOD = "Flooder::flood"


def write_images(path, imgs):
    with open(path, "wb") as f:
        np.array([len(imgs)], np.int32).tofile(f)
        for g in imgs:
            np.array(g.shape, np.int32).tofile(f)
            np.ascontiguousarray(g, np.uint8).tofile(f)


def flood_counts(path):
    """Sums of every event over the flood function, in all and per (source file, line)."""
    events, totals, per_line = None, None, {}
    in_flood, fl, fi = False, None, None
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
                totals = np.zeros(len(events), np.int64)
            elif line.startswith("fl="):
                fl, fi = line[3:].strip(), None
            elif line.startswith(("fi=", "fe=")):
                fi = line[3:].strip()  # lines inlined from another file
            elif line.startswith("fn="):
                in_flood, fi = FLOOD in line, None
            elif in_flood and line[:1].isdigit():
                num, *vals = (int(v) for v in line.split())
                vals = np.array(vals + [0] * (len(events) - len(vals)), np.int64)
                totals += vals
                key = (fi or fl, num)
                per_line[key] = per_line.get(key, 0) + vals
    if events is None:
        raise RuntimeError(f"{path}: not a cachegrind output file")
    return dict(zip(events, totals.tolist())), {k: dict(zip(events, v.tolist())) for k, v in per_line.items()}


def source_line(path, num):
    try:
        with open(path) as f:
            return f.read().splitlines()[num - 1].strip()
    except (OSError, IndexError):
        return "?"


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    cxx = os.environ.get("CXX", "g++")
    for tool in ("valgrind", cxx):
        if shutil.which(tool) is None:
            sys.exit(f"profile_mser_flood: {tool} is not installed")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from bench_mser import load_images  # the benchmark's photographs (or generated scenes)
    imgs, what = load_images(1280, 720)
    pixels = sum(2 * (g.shape[0] - 2) * (g.shape[1] - 2) for g in imgs)
    with tempfile.TemporaryDirectory() as tmp:
        exe, data, out = (os.path.join(tmp, n) for n in ("driver", "images.bin", "cachegrind.out"))
        write_images(data, imgs)
        srcs = [os.path.join(HERE, "profile_mser_flood.cpp"), os.path.join(CSRC, "mser", "mser.cpp"),
                os.path.join(CSRC, "regions", "regions.cpp")]
        subprocess.run([cxx, "-O3", "-g", "-std=c++17", f"-I{CSRC}", *srcs, "-o", exe, "-lpthread"], check=True)
        run = subprocess.run(["valgrind", "--tool=cachegrind", "--branch-sim=yes", "--cache-sim=no",
                              f"--cachegrind-out-file={out}", exe, data], capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"profile_mser_flood: the valgrind run failed:\n{run.stderr[-2000:]}")
        c, per_line = flood_counts(out)
    if not c.get("Ir"):
        sys.exit("profile_mser_flood: cachegrind reported nothing for the flood function")
    print(f"images: {what}; {pixels} pixels flooded (two passes each), OpenCV default parameters")
    print(f"flood: {c['Ir'] / pixels:.0f} instructions, {c['Bc'] / pixels:.1f} conditional branches and "
          f"{c['Bcm'] / pixels:.2f} simulated mispredictions per pixel")
    print("source lines with the most simulated mispredictions (share of the flood's):")
    for (path, num), v in sorted(per_line.items(), key=lambda kv: -kv[1].get("Bcm", 0))[:4]:
        print(f"  {v.get('Bcm', 0) / max(c['Bcm'], 1):6.1%}  {os.path.relpath(path, ROOT)}:{num}  {source_line(path, num)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
