"""The one rule for CPU threads in textvision.

``num_threads`` means the same thing in every public call: how many CPU cores the call may keep
busy at once, compiled core and torch together (``TextProposals`` runs that many channel images in
parallel; a torch call on the CPU runs with that many intra-op threads). The default is 1
everywhere: reproducible timing, and no call waits for cores that another part of the pipeline, or
another process, is using. On a busy 2-core machine torch at 2 threads made ``segment`` 40x slower
than at 1 (every OpenMP region waits for a core).

Every torch call the library makes on the CPU runs inside :func:`torch_threads`, which sets torch's
intra-op thread count for the block and restores the caller's count afterwards (even on an error).
torch's count is process-wide: do not rely on it from other Python threads during such a call.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Iterator

__all__ = ["available_cores", "check_num_threads", "torch_threads"]

logger = logging.getLogger("textvision.threads")


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_num_threads(num_threads, who: str) -> int:
    """``num_threads`` validated (an int >= 1, bools refused) and capped at :func:`available_cores`."""
    if isinstance(num_threads, bool) or not isinstance(num_threads, int):
        raise TypeError(f"{who}: num_threads must be an int >= 1, got {type(num_threads).__name__}")
    if num_threads < 1:
        raise ValueError(f"{who}: num_threads must be >= 1, got {num_threads}")
    return min(num_threads, available_cores())


@contextmanager
def torch_threads(num_threads: int = 1, who: str = "textvision") -> Iterator[int]:
    """Run a block with torch's intra-op thread count at ``num_threads`` (capped at the cores available).

    Args:
        num_threads: int >= 1, see the module docstring.
        who: the public function asking, for error messages.

    Yields:
        the thread count in force inside the block.
    """
    n = check_num_threads(num_threads, who)
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
        logger.debug("%s: torch intra-op threads %d -> %d for this call", who, before, n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
