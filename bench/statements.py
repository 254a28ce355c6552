"""Where the database's time goes: seconds per SQL statement of one import.

    .venv/bin/python bench/contestant_erpsync.py run --db ... --csv ... --rows N --statements

:func:`install` times every statement the engine's connections run in this
process (SQLAlchemy's cursor events, wall clock: on PostgreSQL that is the
server's work plus the round trip); :func:`report` prints them, grouped by
their text, most expensive first. (The staging writer process's inserts are
not seen: use ``ImportEngine(..., staging_processes=False)`` to see them.)
"""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_totals: dict[str, list[float]] = {}


def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    conn.info["erpsync_bench_started"] = time.perf_counter()


def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    started = conn.info.pop("erpsync_bench_started", None)
    if started is None:
        return
    text = " ".join(statement.split())
    total = _totals.setdefault(text, [0, 0.0])
    total[0] += 1
    total[1] += time.perf_counter() - started


def install() -> None:
    """Time the statements of every engine created from now on."""
    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "after_cursor_execute", _after)


def report(stream: Any = sys.stderr, most: int = 30, width: int = 150) -> None:
    """The ``most`` most expensive statements (their first ``width`` characters)."""
    print("seconds  calls  statement", file=stream)
    for text, (calls, seconds) in sorted(_totals.items(), key=lambda kv: -kv[1][1])[:most]:
        print(f"{seconds:7.2f} {int(calls):6d}  {text[:width]}", file=stream)
