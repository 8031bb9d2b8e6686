"""Time the moved Python paths of two checkouts side by side (A/B), e.g. before and after a refactor.

    for r in 1 2 3 4 5; do for d in OLD_CHECKOUT NEW_CHECKOUT; do
      (cd $d && OMP_NUM_THREADS=1 PYTHONPATH=$d python /path/to/tools/ab_checkouts.py); done; done

Each run prints one JSON line: which checkout was imported and the thread-CPU medians of ``ops.mser`` (with
``prob``, ``min_prob`` and pixel lists), ``TextProposals`` and ``TextProposals`` pruned by a map, on the bundled
1280x720 demo scene. ``TextProposals(preset="textvision")`` is used where it exists, so a checkout with the
``original`` default preset is timed on the old behaviour. Take the medians per checkout over the rounds.
"""
import json
import time
from pathlib import Path

import cv2
import numpy as np

import textvision
from textvision import ops
from textvision.proposals import TextProposals


def _median_cpu(f, n):
    ts = []
    for _ in range(n):
        c = time.thread_time()
        f()
        ts.append(time.thread_time() - c)
    return float(np.median(ts))


def main():
    path = Path(textvision.__file__).parent / "assets" / "demo_scene.jpg"
    img = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    rng = np.random.default_rng(0)
    heat = np.clip(cv2.GaussianBlur(rng.random(grey.shape).astype(np.float32), (0, 0), 5) * 3 - 1, 0, 1)
    heat = heat.astype(np.float32)
    try:
        tp = TextProposals(preset="textvision")
    except TypeError:  # checkouts before the presets
        tp = TextProposals()
    print(json.dumps({"checkout": str(Path(textvision.__file__).parents[1]),
                      "mser": _median_cpu(lambda: ops.mser(grey, prob=heat, min_prob=0.1, return_pixels=True), 15),
                      "proposals": _median_cpu(lambda: tp(img), 5),
                      "proposals_pruned": _median_cpu(lambda: tp(img, heat), 5)}))


if __name__ == "__main__":
    main()
