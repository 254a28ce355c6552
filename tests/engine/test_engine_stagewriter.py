"""Large stagings: a writer process inserts the rows this process prepares
(engine/stagewriter.py). It must stage exactly what staging in one process
stages, keep the first staging of a key, and fail clearly (earlier batches
kept, no process left behind) when the import stops being pending, when the
writer dies, or go on alone when the writer cannot start."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import CONNECTION, contact, customer
from sqlalchemy import Engine, select

from erpsync.connectors.base import ErpActor
from erpsync.engine import stagewriter
from erpsync.engine.api import ImportEngine, ImportError_, StaleImportError
from erpsync.engine.schema import import_run, staged_actor

BATCH = 50
#: The ``new_db`` fixture of conftest.py: a fresh database on this test's backend.
NewDb = Callable[[], Engine]


class Takeover:
    """What the spied :class:`stagewriter.BatchWriter` did: per batch, whether
    the writer process wrote it, and the writers."""

    def __init__(self) -> None:
        self.by_writer: list[bool] = []
        self.writers: list[stagewriter.BatchWriter] = []

    def __bool__(self) -> bool:
        return any(self.by_writer)


@pytest.fixture
def takeover(monkeypatch: pytest.MonkeyPatch) -> Takeover:
    """The writer takes over after the second batch (waiting for it to start)."""
    monkeypatch.setattr(stagewriter, "START_AFTER_ROWS", BATCH)
    monkeypatch.setattr(stagewriter, "READY_WAIT", 60.0)
    seen = Takeover()
    write = stagewriter.BatchWriter.write

    def spy(self: stagewriter.BatchWriter, rows: list[Any]) -> None:
        if self not in seen.writers:
            seen.writers.append(self)
        write(self, rows)
        seen.by_writer.append(self.by_writer)

    monkeypatch.setattr(stagewriter.BatchWriter, "write", spy)
    return seen


@pytest.fixture(autouse=True)
def no_writer_left() -> Iterator[None]:
    """No test leaves a writer process behind (other tests' servers may run)."""
    before = set(children())
    yield
    assert set(children()) <= before


def children() -> list[int]:
    """Pids of this process's children that still exist (Linux /proc)."""
    me, out = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            out.append(int(stat.parent.name))
    return out


def _actors(n: int, prefix: str = "C") -> list[ErpActor]:
    out: list[ErpActor] = []
    for i in range(n):
        if i % 7 == 3:  # persons of the customer before them, with a mobile
            out.append(contact(f"P{i}", f"{prefix}{i - 1}", FIRSTNAME=f"Kari {i}",
                               LASTNAME="Nordmann", PHONE_MOBILE=f"+47 900 00 {i:03d}"))
        else:
            out.append(customer(f"{prefix}{i}", NAME=f"Bedrift {i} AS", POSTALCITY="Oslo",
                                VATNO=f"NO 9{i:08d} MVA", PHONE=f"+47 22 00 {i:04d}",
                                EMAIL=f"post{i}@bedrift.no", CATEGORY="Kunde",
                                COLOR=f"blue {i}", LONG="x" * 250))
    return out


def _staged(engine: ImportEngine, import_id: int) -> list[tuple[Any, ...]]:
    """The staged rows in staging order, without ids."""
    skip = {"id", "import_id"}
    columns = [c for c in staged_actor.c if c.name not in skip]
    with engine.db.connect() as conn:
        return [tuple(row) for row in conn.execute(
            select(*columns).where(staged_actor.c.import_id == import_id)
            .order_by(staged_actor.c.id))]


def _engine(new_db: NewDb) -> ImportEngine:
    return ImportEngine(new_db(), batch_size=BATCH)


def test_writer_process_stages_what_one_process_stages(new_db: NewDb,
                                                       takeover: Takeover) -> None:
    actors = _actors(600)
    alone = ImportEngine(new_db(), batch_size=BATCH, staging_processes=False)
    with_writer = _engine(new_db)
    results = []
    for engine in (alone, with_writer):
        import_id = engine.create_import("erp", 1)
        results.append((engine.stage(import_id, CONNECTION, actors),
                        _staged(engine, import_id)))
    assert takeover and not takeover.by_writer[0]  # the writer took over after the start
    (alone_result, alone_rows), (writer_result, writer_rows) = results
    assert writer_result == alone_result and writer_result.added == 600
    assert writer_rows == alone_rows


def test_first_staging_of_a_key_wins_across_the_switch(new_db: NewDb,
                                                       takeover: Takeover) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    actors = [*_actors(300), customer("C5", NAME="Later copy"), customer("C5", NAME="Again")]
    result = engine.stage(import_id, CONNECTION, actors)
    assert takeover.by_writer[-1]  # the copies went to the writer
    assert (result.added, result.already) == (300, 2)
    names = {row["erp_key"]: row["display_name"] for row in engine.list_staged(
        import_id, limit=400)}
    assert names["C5"] == "Bedrift 5 AS"


def _then(actors: list[ErpActor], at: int, action: Any) -> Iterator[ErpActor]:
    for number, actor in enumerate(actors):
        if number == at:
            action()
        yield actor


def test_import_no_longer_pending_stops_the_writer(new_db: NewDb,
                                                   takeover: Takeover) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)

    def someone_imports_it() -> None:
        with engine.db.begin() as conn:
            conn.execute(import_run.update().where(import_run.c.id == import_id)
                         .values(state="importing"))

    with pytest.raises(StaleImportError):
        engine.stage(import_id, CONNECTION, _then(_actors(600), 400, someone_imports_it))
    assert takeover
    staged = engine.staged_count(import_id)
    assert 400 - 3 * BATCH <= staged <= 400 and staged % BATCH == 0  # whole batches


def test_writer_killed_midway_is_a_clear_error(new_db: NewDb, takeover: Takeover) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)

    def kill_the_writer() -> None:
        (writer,) = takeover.writers
        process = writer._process
        assert process is not None and process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    with pytest.raises(ImportError_) as raised:
        engine.stage(import_id, CONNECTION, _then(_actors(600), 300, kill_the_writer))
    assert "did not take them" in str(raised.value.user_message)
    assert takeover
    staged = engine.staged_count(import_id)
    assert 2 * BATCH <= staged <= 300 and staged % BATCH == 0
    # What was staged stays, and staging the rest again completes the import.
    again = engine.stage(import_id, CONNECTION, _actors(600))
    assert again.added == 600 - staged and engine.staged_count(import_id) == 600


@pytest.mark.sqlite_only
def test_writer_that_cannot_start_leaves_staging_here(new_db: NewDb, takeover: Takeover,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    result = engine.stage(import_id, CONNECTION, _actors(300))
    assert result.added == 300 and not takeover


@pytest.mark.sqlite_only
def test_writer_that_cannot_open_the_database_leaves_staging_here(
        new_db: NewDb, takeover: Takeover, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stagewriter.BatchWriter, "_database_url",
                        lambda self: "postgresql+psycopg://nobody@/none?host=/nonexistent")
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    result = engine.stage(import_id, CONNECTION, _actors(300))
    assert result.added == 300 and not takeover
    assert engine.list_staged(import_id, limit=1)[0]["erp_key"] == "C0"


@pytest.mark.sqlite_only
def test_small_stagings_and_memory_databases_start_no_process(
        new_db: NewDb, monkeypatch: pytest.MonkeyPatch) -> None:
    starts: list[int] = []
    monkeypatch.setattr(stagewriter.BatchWriter, "_start",
                        lambda self: starts.append(self._rows))
    engine = ImportEngine(new_db())  # the default batches
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, _actors(stagewriter.START_AFTER_ROWS))
    assert starts == []
    from erpsync.db import make_engine

    assert stagewriter.can_use_processes(engine.db)
    assert not stagewriter.can_use_processes(make_engine("sqlite://"))
    assert not stagewriter.can_use_processes(make_engine("sqlite:///:memory:"))
    monkeypatch.setattr(sys, "executable", "/usr/sbin/uwsgi")  # embedded: not a python
    assert not stagewriter.can_use_processes(engine.db)


def test_bad_actor_after_the_switch_keeps_the_batches_before_it(
        new_db: NewDb, takeover: Takeover) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    actors = _actors(600)
    actors[420] = customer("", NAME="No key")
    with pytest.raises(ImportError_) as raised:
        engine.stage(import_id, CONNECTION, actors)
    assert "cannot be imported" in str(raised.value.user_message)
    assert takeover
    assert engine.staged_count(import_id) == 400  # the batches before the bad one's


@pytest.mark.sqlite_only
def test_host_main_module_is_not_run_again(tmp_path: Path) -> None:
    """``multiprocessing``'s spawn would import the host's main script again
    in the writer (running its top-level code twice); the writer must not."""
    import subprocess

    script = Path(__file__).with_name("stagewriter_host_script.py")
    marker = tmp_path / "marker.txt"
    done = subprocess.run([sys.executable, str(script), str(marker), str(tmp_path / "h.sqlite")],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == [str(stagewriter.START_AFTER_ROWS + 3000), "True"]
    assert marker.read_text() == "ran\n"
