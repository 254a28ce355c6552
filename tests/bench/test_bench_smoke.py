"""``make bench`` still runs: every contestant but the peer, on a small file.

The benchmark's contestants write erpsync's tables with their own SQL (the
same-writes floor) or drive the engine from outside (erpsync's contestant); a
schema or API change that breaks them shows here instead of at the next
``make bench``. Speed is not asserted (docs/performance.md has the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2_000


def test_bench_runs_every_contestant_on_both_databases(tmp_path, pg_server):
    # pg_server: fails under CI when PostgreSQL is missing, as the PostgreSQL
    # tests do; the benchmark starts a server of its own.
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--rows", str(ROWS), "--runs", "1",
         "--big-rows", "0", "--no-peer", "--json", str(results)],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [outcomes] = json.loads(results.read_text())
    by_label = {o["contestant"]: o for o in outcomes}
    assert set(by_label) == {"floor [sqlite]", "erpsync [sqlite]", "floor [postgresql]",
                             "erpsync [postgresql]", "same-writes floor [sqlite]",
                             "same-writes floor [postgresql]"}
    for label, outcome in by_label.items():
        assert outcome["error"] is None, (label, outcome["error"])
        [result] = outcome["results"]
        assert result["seconds"] > 0 and result["peak_rss_mb"] > 0, label
        if not label.startswith("floor"):
            assert (result["new"], result["updated"]) == (ROWS // 2, ROWS // 2), label
    assert "- erpsync/same-writes floor [sqlite]: " in proc.stdout
    assert "- erpsync/same-writes floor [postgresql]: " in proc.stdout
