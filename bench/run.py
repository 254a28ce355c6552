"""The import benchmark: erpsync against a floor and a peer, same machine, same data.

    .venv/bin/python bench/run.py                       # what `make bench` runs
    .venv/bin/python bench/run.py --rows 20000 --runs 1 --big-rows 0   # a quick one

Contestants (each run is a fresh subprocess on a freshly prepared database, so
its peak RSS is its own; see the ``contestant_*.py`` modules):

- ``floor``: the least work that gets the rows into one indexed table (SQLite:
  ``csv.reader`` + one ``executemany`` upsert; PostgreSQL: ``COPY`` + one upsert);
- ``peer``: django-import-export in its own venv (``bench/.venv-peer``), default
  mode and its fastest documented configuration; the faster one counts;
- ``erpsync``: stage -> preview -> apply through :class:`ImportEngine`;
- ``same-writes floor``: raw SQL doing the writes erpsync's import does
  (company and keys, communications, links, selections, before-images, backup),
  to compare the engine with like for like (not a target of the issue).

Scenario: ``--rows`` companies (half already in the CRM, linked by ERP key; half
new), and ``--big-rows`` for the floor and erpsync only (the peer is not run at
that size: it would take far longer than the benchmark is worth). The
figures are medians of ``--runs`` runs: rows/s by wall clock (what the issue
asks for) and by CPU time (steadier on a busy machine: for SQLite the
database works inside the process, so its CPU time is nearly all the work).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
PEER_VENV = HERE / ".venv-peer"
PEER_REQUIREMENTS = HERE / "peer" / "requirements.txt"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))  # pgserver: the test suite's throwaway PostgreSQL

import generate  # noqa: E402

#: Targets of the issue, checked at the end.
TARGET_FLOOR_RATIO = 1 / 3
TARGET_PEER_RATIO = 15.0
TARGET_BIG_RSS_MB = 300.0


@dataclass
class Contestant:
    name: str  # e.g. "erpsync", "floor", "peer (fast)"
    script: str
    python: Path
    dialect: str  # "sqlite" | "postgresql"
    extra: list[str] = field(default_factory=list)
    runs: int | None = None  # None: --runs

    @property
    def label(self) -> str:
        return f"{self.name} [{self.dialect}]"


@dataclass
class Outcome:
    contestant: Contestant
    rows: int
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.results)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.median("seconds")

    @property
    def cpu_rows_per_s(self) -> float:
        return self.rows / self.median("cpu_seconds")

    @property
    def peak_rss_mb(self) -> float:
        return max(r["peak_rss_mb"] for r in self.results)


# ------------------------------------------------------------------ environment

def ensure_peer_venv() -> Path:
    """bench/.venv-peer with Django and django-import-export from PyPI."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / ".requirements"
    wanted = PEER_REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"Creating {PEER_VENV} (Django + django-import-export from PyPI)...", flush=True)
    base = shutil.which("python3") or sys.executable
    subprocess.run([base, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r",
                    str(PEER_REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


@contextmanager
def postgres(enabled: bool) -> Iterator[Any]:
    """A throwaway PostgreSQL server (tests/pgserver.py), or None."""
    if not enabled:
        yield None
        return
    try:
        from pgserver import PgServer, PostgresMissing
    except ImportError as exc:  # pytest or psycopg missing
        print(f"PostgreSQL skipped: {exc}", flush=True)
        yield None
        return
    try:
        server = PgServer()
    except PostgresMissing as exc:
        print(f"PostgreSQL skipped: {exc}", flush=True)
        yield None
        return
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------ running

def _child(python: Path, script: str, *args: str, timeout: float) -> dict[str, Any]:
    """Run a contestant script; its last stdout line is its JSON outcome."""
    proc = subprocess.run([str(python), str(HERE / script), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=HERE)
    if proc.returncode != 0:
        raise RuntimeError(f"{script} {args[0]} failed ({proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1]) if args[0] == "run" and lines else {}


#: Contestants that start from another one's prepared database.
SEED_OF = {"contestant_samewrites.py": "contestant_erpsync.py"}


class Databases:
    """A prepared database per contestant and size, copied fresh for each run."""

    def __init__(self, workdir: Path, pg: Any) -> None:
        self.workdir, self.pg = workdir, pg
        self.prepared: dict[tuple[str, str, int], str] = {}

    def fresh(self, contestant: Contestant, csv_path: Path, rows: int,
              timeout: float) -> tuple[str, Any]:
        """(URL of a fresh copy of the prepared database, cleanup function)."""
        key = (SEED_OF.get(contestant.script, contestant.script), contestant.dialect, rows)
        if key not in self.prepared:
            self.prepared[key] = self._prepare(contestant, csv_path, rows, timeout)
        seed = self.prepared[key]
        if contestant.dialect == "sqlite":
            copy = self.workdir / f"run-{time.monotonic_ns()}.sqlite"
            shutil.copyfile(seed, copy)
            return f"sqlite:///{copy}", lambda: _unlink_sqlite(copy)
        name = f"run_{time.monotonic_ns()}"
        url = self.pg.create_database(name, template=seed)
        return url, lambda: self.pg.drop_database(name)

    def _prepare(self, contestant: Contestant, csv_path: Path, rows: int,
                 timeout: float) -> str:
        tag = f"{Path(contestant.script).stem}_{rows}"
        if contestant.dialect == "sqlite":
            seed = self.workdir / f"seed-{tag}.sqlite"
            url = f"sqlite:///{seed}"
        else:
            seed = f"seed_{tag}"
            url = self.pg.create_database(seed)
        print(f"  preparing {contestant.label} for {rows:,} rows...", flush=True)
        _child(contestant.python, contestant.script, "prepare", "--db", url, "--csv",
               str(csv_path), "--rows", str(rows), timeout=timeout)
        if contestant.dialect == "sqlite":
            _checkpoint(seed)
        return str(seed)


def _checkpoint(path: Path) -> None:
    """Fold a WAL into the database file, so that copying the file copies it all."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _unlink_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_scenario(contestants: list[Contestant], rows: int, runs: int, dbs: Databases,
                 timeout: float) -> list[Outcome]:
    csv_path = generate.cached_csv(DATA, rows)
    print(f"\n== {rows:,} companies ({csv_path.name}), {runs} run(s) ==", flush=True)
    outcomes = [Outcome(c, rows) for c in contestants]
    for run in range(1, runs + 1):
        for outcome in outcomes:
            contestant = outcome.contestant
            if outcome.error or run > (contestant.runs or runs):
                continue
            try:
                url, cleanup = dbs.fresh(contestant, csv_path, rows, timeout)
            except Exception as exc:  # noqa: BLE001 - reported, the others go on
                outcome.error = str(exc)
                print(f"  {contestant.label}: preparation failed: {exc}", flush=True)
                continue
            try:
                result = _child(contestant.python, contestant.script, "run", "--db", url,
                                "--csv", str(csv_path), "--rows", str(rows),
                                *contestant.extra, timeout=timeout)
            except subprocess.TimeoutExpired:
                outcome.error = f"did not finish in {timeout:.0f} s"
            except Exception as exc:  # noqa: BLE001
                outcome.error = str(exc)
            finally:
                cleanup()
            if outcome.error:
                print(f"  {contestant.label}: {outcome.error}", flush=True)
                continue
            outcome.results.append(result)
            print(f"  run {run}: {contestant.label:<28} {result['seconds']:8.2f} s "
                  f"(cpu {result['cpu_seconds']:.2f} s) {rows / result['seconds']:>9,.0f} rows/s"
                  f"  peak RSS {result['peak_rss_mb']:.0f} MB"
                  + (f"  phases {result['phases']}" if "phases" in result else ""), flush=True)
    return outcomes


# ------------------------------------------------------------------ report

def _find(outcomes: list[Outcome], name: str, dialect: str) -> Outcome | None:
    found = [o for o in outcomes if o.contestant.name.startswith(name)
             and o.contestant.dialect == dialect and o.results]
    return max(found, key=lambda o: o.rows_per_s) if found else None


def report(scenarios: list[list[Outcome]], command: str) -> list[str]:
    lines = [f"Command: `{command}`", ""]
    checks: list[str] = []
    for outcomes in scenarios:
        rows = outcomes[0].rows
        lines += [f"### {rows:,} companies (half new, half already in the CRM)", "",
                  "| contestant | database | runs | median s | rows/s (wall) | rows/s (CPU) "
                  "| peak RSS MB |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for o in outcomes:
            c = o.contestant
            if not o.results:
                lines.append(f"| {c.name} | {c.dialect} | 0 | - | {o.error or 'not run'} | - "
                             "| - |")
                continue
            # PostgreSQL works in its own processes: the client's CPU time says little.
            cpu = f"{o.cpu_rows_per_s:,.0f}" if c.dialect == "sqlite" else "-"
            lines.append(f"| {c.name} | {c.dialect} | {len(o.results)} | "
                         f"{o.median('seconds'):.2f} | {o.rows_per_s:,.0f} | "
                         f"{cpu} | {o.peak_rss_mb:.0f} |")
        lines.append("")
        for dialect in ("sqlite", "postgresql"):
            ours, floor = _find(outcomes, "erpsync", dialect), _find(outcomes, "floor", dialect)
            if ours and floor:
                ratio = ours.rows_per_s / floor.rows_per_s
                cpu = (f" (CPU: {ours.cpu_rows_per_s / floor.cpu_rows_per_s:.2f})"
                       if dialect == "sqlite" else "")
                lines.append(f"- erpsync/floor [{dialect}]: {ratio:.2f}{cpu}")
                checks.append(_check(f"erpsync >= 1/3 of the floor [{dialect}, {rows:,}]",
                                     ratio >= TARGET_FLOOR_RATIO, f"{ratio:.2f}"))
            same = _find(outcomes, "same-writes floor", dialect)
            if ours and same:
                cpu = (f" (CPU: {ours.cpu_rows_per_s / same.cpu_rows_per_s:.2f})"
                       if dialect == "sqlite" else "")
                lines.append(f"- erpsync/same-writes floor [{dialect}]: "
                             f"{ours.rows_per_s / same.rows_per_s:.2f}{cpu}")
            peer = _find(outcomes, "peer", dialect)
            if ours and peer:
                ratio, cpu_ratio = (ours.rows_per_s / peer.rows_per_s,
                                    ours.cpu_rows_per_s / peer.cpu_rows_per_s)
                lines.append(f"- erpsync/peer [{dialect}] (peer: {peer.contestant.name}): "
                             f"{ratio:.1f} (CPU: {cpu_ratio:.1f})")
                checks.append(_check(f"erpsync >= 15x the peer [{dialect}, {rows:,}]",
                                     ratio >= TARGET_PEER_RATIO, f"{ratio:.1f}x"))
            if ours and rows >= 1_000_000:
                checks.append(_check(f"erpsync peak RSS < 300 MB [{dialect}, {rows:,}]",
                                     ours.peak_rss_mb < TARGET_BIG_RSS_MB,
                                     f"{ours.peak_rss_mb:.0f} MB"))
        lines.append("")
    return lines + ["Targets:", *checks]


def _check(label: str, ok: bool, value: str) -> str:
    return f"- {'met' if ok else 'MISSED'}: {label} ({value})"


def load_results(path: Path) -> list[list[Outcome]]:
    """The scenarios of a ``--json`` file, as :func:`report` takes them."""
    scenarios = []
    for outcomes in json.loads(path.read_text()):
        loaded = []
        for item in outcomes:
            name, _, dialect = item["contestant"].rpartition(" [")
            contestant = Contestant(name, "", Path(), dialect.rstrip("]"))
            loaded.append(Outcome(contestant, item["rows"], item["results"], item["error"]))
        scenarios.append(loaded)
    return scenarios


# ------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000,
                        help="companies in the main scenario (default 100,000)")
    parser.add_argument("--big-rows", type=int, default=None,
                        help="companies in the large scenario, floor and erpsync only "
                             "(default: 1,000,000 with the default --rows, else none; "
                             "0 = skip it)")
    parser.add_argument("--runs", type=int, default=3, help="runs per contestant (median)")
    parser.add_argument("--big-runs", type=int, default=1, help="runs in the large scenario")
    parser.add_argument("--peer-runs", type=int, default=1,
                        help="runs of each peer mode (it is slow; default 1)")
    parser.add_argument("--no-peer", action="store_true", help="leave the peer out")
    parser.add_argument("--no-postgresql", action="store_true",
                        help="SQLite only (default: also PostgreSQL when installed)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds a contestant may take per run (default 900)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--report", type=Path, metavar="JSON",
                        help="only print the report of results written with --json")
    args = parser.parse_args(argv)
    if args.report:
        print("\n".join(report(load_results(args.report), "make bench")))
        return 0
    if args.big_rows is None:  # a quick run (--rows given) skips the large scenario
        args.big_rows = 1_000_000 if args.rows == parser.get_default("rows") else 0
    command = "make bench" + (f' BENCH_ARGS="{" ".join(argv)}"' if argv else "")

    ours = Path(sys.executable)
    with ExitStack() as stack:
        pg = stack.enter_context(postgres(not args.no_postgresql))
        dialects = ["sqlite"] + (["postgresql"] if pg is not None else [])
        main_contestants = [Contestant(name, f"contestant_{script}.py", ours, dialect)
                            for dialect in dialects
                            for name, script in (("floor", "floor"), ("erpsync", "erpsync"))]
        main_contestants += [Contestant("same-writes floor", "contestant_samewrites.py", ours,
                                        dialect) for dialect in dialects]
        if not args.no_peer:
            peer_python = ensure_peer_venv()
            main_contestants += [
                Contestant(f"peer ({mode})", "contestant_peer.py", peer_python, "sqlite",
                           ["--mode", mode], runs=args.peer_runs)
                for mode in ("fast", "default")]
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="erpsync-bench-")))
        dbs = Databases(workdir, pg)
        scenarios = [run_scenario(main_contestants, args.rows, args.runs, dbs, args.timeout)]
        if args.big_rows:
            big = [c for c in main_contestants if not c.name.startswith("peer")]
            scenarios.append(run_scenario(big, args.big_rows, args.big_runs, dbs,
                                          args.timeout))
    print(f"\nMachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")
    lines = report(scenarios, command)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(
            [[{"contestant": o.contestant.label, "rows": o.rows, "results": o.results,
               "error": o.error} for o in outcomes] for outcomes in scenarios], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
