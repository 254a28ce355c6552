"""Large files import within the engine's memory bound: the file is read row by
row and staged in batches, so peak memory does not grow with the file.

The import runs in a subprocess (``erpsync import --file ... --yes``) that
reports its own peak resident set size. 200,000 rows run in the default suite
(about 30 s); 1,000,000 rows (a few minutes) only with ``make test-all``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Peak RSS allowed for the whole import process (interpreter and libraries included).
MAX_RSS_MB = 300

_RUN = """
import json, resource, sys
from erpsync.cli import main
code = 0
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "code": code}), file=sys.stderr)
"""


def write_customers(path: Path, rows: int) -> None:
    """A CSV as Excel writes it (BOM, semicolons, CRLF), some values quoted with
    line breaks; written row by row."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write("Bedrijfsnaam;Adres;Postcode;Plaats;E-mail;Telefoon;Opmerking\r\n")
        for i in range(rows):
            note = f'"regel 1\r\nregel; {i}"' if i % 1000 == 0 else ""
            fh.write(f"Firma {i} BV;Straat {i % 997};{1000 + i % 8999} AB;Plaats {i % 311};"
                     f"info{i}@firma{i}.nl;+31 20 {i:07d};{note}\r\n")


def import_in_subprocess(tmp_path: Path, rows: int, timeout: float) -> tuple[dict, dict]:
    csv_path = tmp_path / "customers.csv"
    write_customers(csv_path, rows)
    data_dir = tmp_path / "data"
    args = ["--db", f"sqlite:///{data_dir / 'crm.sqlite'}", "--data-dir", str(data_dir),
            "import", "--file", str(csv_path), "--yes", "--json", "--quiet"]
    env = {k: v for k, v in os.environ.items() if k != "ERPSYNC_DB"}
    done = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True,
                          text=True, timeout=timeout, env={**env, "ERPSYNC_LANG": "en"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr[-3000:]
    return json.loads(done.stdout), report


def check(outcome: dict, report: dict, rows: int) -> None:
    assert (outcome["staged"], outcome["new"], outcome["skipped"]) == (rows, rows, 0)
    peak_mb = report["maxrss_kb"] / 1024
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"


def test_200k_rows_within_the_memory_bound(tmp_path: Path) -> None:
    outcome, report = import_in_subprocess(tmp_path, 200_000, timeout=600)
    check(outcome, report, 200_000)


@pytest.mark.slow
def test_1m_rows_within_the_memory_bound(tmp_path: Path) -> None:
    outcome, report = import_in_subprocess(tmp_path, 1_000_000, timeout=3600)
    check(outcome, report, 1_000_000)
