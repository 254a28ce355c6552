"""Scale: memory stays flat and the statements stay the same as imports grow.

Each size runs in a process of its own (tests/scale/scale_run.py), so its peak
RSS is the import's own. Sizes are CI-sized; speed is not asserted here (that
is for ``make bench``, see docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("scale_run.py")
SMALL, LARGE = 10_000, 50_000
#: How much more the peak RSS may be after staging 5x the rows: the batches
#: are the same size, so only allocator noise and caches should differ.
RSS_SLACK_MB = 15.0


def run(db_url: str, rows: int, *flags: str) -> dict:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--db", db_url, "--rows", str(rows),
                           *flags], capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", "postgresql"])
def db_urls(request: pytest.FixtureRequest, tmp_path: Path):
    """A factory of empty databases with every table, on SQLite or PostgreSQL."""
    from erpsync.db import make_engine, metadata
    from erpsync.engine import schema  # noqa: F401 - declares the tables

    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_schema_template")
        return lambda: server.create_database(template=template)
    count = iter(range(100))

    def sqlite_url() -> str:
        url = f"sqlite:///{tmp_path / f'scale{next(count)}.sqlite'}"
        engine = make_engine(url)
        metadata.create_all(engine)
        engine.dispose()
        return url

    return sqlite_url


def test_staging_memory_is_flat(db_urls) -> None:
    small = run(db_urls(), SMALL, "--stage-only")
    large = run(db_urls(), LARGE, "--stage-only")
    assert (small["staged"], large["staged"]) == (SMALL, LARGE)
    print(f"peak RSS after staging: {small['rss_staged_mb']} MB for {SMALL:,} rows, "
          f"{large['rss_staged_mb']} MB for {LARGE:,} rows")
    assert large["rss_staged_mb"] - small["rss_staged_mb"] < RSS_SLACK_MB


def test_statement_count_is_constant(db_urls) -> None:
    """Stage, preview and apply issue the same statements for 2,000 rows as for
    10,000 when both fit in one batch (the engine's tests/engine count them on
    mixed imports of companies and persons; statements only grow with batches)."""
    one_batch = ("--batch-size", str(SMALL))
    small, large = run(db_urls(), 2_000, *one_batch), run(db_urls(), SMALL, *one_batch)
    print(f"statements for 2,000 / {SMALL:,} rows: {small} / {large}")
    assert (small["new"], small["updated"]) == (1_000, 1_000)
    assert (large["new"], large["updated"]) == (SMALL // 2, SMALL // 2)
    for phase in ("stage", "preview", "apply"):
        assert small[phase] == large[phase], phase
    assert small["stage"] + small["preview"] + small["apply"] < 150
