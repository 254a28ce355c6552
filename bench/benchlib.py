"""What every contestant process shares: a clock and its one line of output."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Clock:
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # this process's CPU time (user + system)


def cpu_time() -> float:
    """CPU time of this process and of its finished children (erpsync's
    staging writer process, see engine/stagewriter.py)."""
    return sum(usage.ru_utime + usage.ru_stime for usage in (
        resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


@contextmanager
def timed() -> Iterator[Clock]:
    """Wall-clock and CPU seconds of the ``with`` block. On a busy machine the
    CPU time of an in-process database (SQLite) is the steadier figure."""
    clock = Clock()
    start, start_cpu = time.perf_counter(), cpu_time()
    try:
        yield clock
    finally:
        clock.seconds = time.perf_counter() - start
        clock.cpu_seconds = cpu_time() - start_cpu


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, plus the peak of its
    largest finished child (erpsync's staging writer) as if both peaked at
    once: an upper bound of the whole. (Linux reports KiB.)"""
    return sum(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def emit(outcome: dict[str, Any]) -> None:
    """Print the outcome with the process's peak RSS as the last line of stdout."""
    print(json.dumps({**outcome, "peak_rss_mb": round(peak_rss_mb(), 1)}))
    sys.stdout.flush()
