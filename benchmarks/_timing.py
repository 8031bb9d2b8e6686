"""The one timing helper of the speed benchmarks (``benchmarks/`` is sys.path[0] when a script runs).

Scripts that also record CPU time (bench_mser.py, bench_data.py) keep their own loop: they need both clocks
per repeat.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable, Optional


def median_seconds(fn: Callable[[], object], repeats: int, *, warmup: int = 0,
                   sync: Optional[Callable[[], object]] = None) -> float:
    """Median wall time (s, ``time.perf_counter``) of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones.

    ``sync`` (e.g. ``torch.cuda.synchronize``) runs before the clock starts and before it stops, so queued
    device work is neither counted in the next repeat nor left out of this one.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if sync is not None:
            sync()
        t0 = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
