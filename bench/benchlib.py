"""What every contestant process shares: a clock and its one line of output."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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


def _rss_kib(pid: int | str) -> int:
    """Resident memory of a process now (KiB; 0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[str]:
    """Pids of the children of ``pid`` (of any of its threads)."""
    out: list[str] = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += listing.read_text().split()
        except OSError:
            continue
    return out


class _WholeRss(threading.Thread):
    """Samples the RSS of this process plus its children (erpsync's staging
    writer process) every ``interval`` seconds; :attr:`peak_kib` is the highest
    sum seen."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True, name="bench-rss")
        self.interval, self.peak_kib = interval, 0

    def run(self) -> None:
        me = os.getpid()
        while True:
            children = _children(me)
            total = _rss_kib(me) + sum(_rss_kib(child) for child in children)
            self.peak_kib = max(self.peak_kib, total)
            time.sleep(self.interval)


_whole = _WholeRss()
if Path("/proc/self/status").exists():
    _whole.start()


def peak_rss_mb() -> float:
    """Peak resident memory of this process together with its children
    (erpsync's staging writer): the highest sum sampled, and at least this
    process's own peak. (Linux reports KiB.)"""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, _whole.peak_kib) / 1024


def emit(outcome: dict[str, Any]) -> None:
    """Print the outcome with the process's peak RSS as the last line of stdout."""
    print(json.dumps({**outcome, "peak_rss_mb": round(peak_rss_mb(), 1)}))
    sys.stdout.flush()


def contestant_parser(doc: str | None, db_help: str, mode: str = "mode") -> argparse.ArgumentParser:
    """The arguments every contestant script takes: ``prepare``/``run``, the
    database, the CSV file and its number of rows (bench/run.py passes them)."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument(mode, choices=("prepare", "run"))
    parser.add_argument("--db", required=True, help=db_help)
    parser.add_argument("--csv", required=True, type=Path)
    parser.add_argument("--rows", required=True, type=int)
    return parser
