"""Large stagings: a writer process inserts the rows this process prepares
(engine/stagewriter.py). It must stage exactly what staging in one process
stages, keep the first staging of a key, and fail clearly (earlier batches
kept, no process left behind) when the import stops being pending, when the
writer dies, or go on alone when the writer cannot start."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stagewriter_faults
from engine_helpers import CONNECTION, contact, customer
from sqlalchemy import Engine, select

from erpsync.connectors.base import ErpActor
from erpsync.engine import stagewriter
from erpsync.engine.api import ImportEngine, ImportError_, StaleImportError
from erpsync.engine.schema import import_run, staged_actor

BATCH = 50
#: The ``new_db`` fixture of conftest.py: a fresh database on this test's backend.
NewDb = Callable[[], Engine]


@pytest.fixture
def takeover(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The writer takes over after the second batch (waiting for it to start);
    returns, per batch, whether the writer process wrote it."""
    monkeypatch.setattr(stagewriter, "START_AFTER_ROWS", BATCH)
    monkeypatch.setattr(stagewriter, "READY_WAIT", 60.0)
    written_there: list[bool] = []
    write = stagewriter.BatchWriter.write

    def spy(self: stagewriter.BatchWriter, rows: list[Any]) -> None:
        write(self, rows)
        written_there.append(self.in_process)

    monkeypatch.setattr(stagewriter.BatchWriter, "write", spy)
    return written_there


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
                                                       takeover: list[bool]) -> None:
    actors = _actors(600)
    alone = ImportEngine(new_db(), batch_size=BATCH, staging_processes=False)
    with_writer = _engine(new_db)
    results = []
    for engine in (alone, with_writer):
        import_id = engine.create_import("erp", 1)
        results.append((engine.stage(import_id, CONNECTION, actors),
                        _staged(engine, import_id)))
    assert any(takeover) and not takeover[0]  # the writer took over after the start
    (alone_result, alone_rows), (writer_result, writer_rows) = results
    assert writer_result == alone_result and writer_result.added == 600
    assert writer_rows == alone_rows
    assert multiprocessing.active_children() == []


def test_first_staging_of_a_key_wins_across_the_switch(new_db: NewDb,
                                                       takeover: list[bool]) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    actors = [*_actors(300), customer("C5", NAME="Later copy"), customer("C5", NAME="Again")]
    result = engine.stage(import_id, CONNECTION, actors)
    assert takeover[-1]  # the copies went to the writer
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
                                                   takeover: list[bool]) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)

    def someone_imports_it() -> None:
        with engine.db.begin() as conn:
            conn.execute(import_run.update().where(import_run.c.id == import_id)
                         .values(state="importing"))

    with pytest.raises(StaleImportError):
        engine.stage(import_id, CONNECTION, _then(_actors(600), 400, someone_imports_it))
    assert any(takeover)
    staged = engine.staged_count(import_id)
    assert 400 - 3 * BATCH <= staged <= 400 and staged % BATCH == 0  # whole batches
    assert multiprocessing.active_children() == []


def test_writer_killed_midway_is_a_clear_error(new_db: NewDb, takeover: list[bool]) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)

    def kill_the_writer() -> None:
        (child,) = multiprocessing.active_children()
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)

    with pytest.raises(ImportError_) as raised:
        engine.stage(import_id, CONNECTION, _then(_actors(600), 300, kill_the_writer))
    assert "did not take them" in str(raised.value.user_message)
    assert any(takeover)
    staged = engine.staged_count(import_id)
    assert 2 * BATCH <= staged <= 300 and staged % BATCH == 0
    assert multiprocessing.active_children() == []
    # What was staged stays, and staging the rest again completes the import.
    again = engine.stage(import_id, CONNECTION, _actors(600))
    assert again.added == 600 - staged and engine.staged_count(import_id) == 600


@pytest.mark.sqlite_only
def test_writer_that_cannot_start_leaves_staging_here(new_db: NewDb, takeover: list[bool],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stagewriter, "writer_main", stagewriter_faults.cannot_start)
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    result = engine.stage(import_id, CONNECTION, _actors(300))
    assert result.added == 300 and not any(takeover)
    assert multiprocessing.active_children() == []


@pytest.mark.sqlite_only
def test_small_stagings_and_memory_databases_start_no_process(new_db: NewDb) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, _actors(stagewriter.START_AFTER_ROWS))
    assert multiprocessing.active_children() == []
    from erpsync.db import make_engine

    assert stagewriter.can_use_processes(engine.db)
    assert not stagewriter.can_use_processes(make_engine("sqlite://"))
    assert not stagewriter.can_use_processes(make_engine("sqlite:///:memory:"))


def test_bad_actor_after_the_switch_keeps_the_batches_before_it(
        new_db: NewDb, takeover: list[bool]) -> None:
    engine = _engine(new_db)
    import_id = engine.create_import("erp", 1)
    actors = _actors(600)
    actors[420] = customer("", NAME="No key")
    with pytest.raises(ImportError_) as raised:
        engine.stage(import_id, CONNECTION, actors)
    assert "cannot be imported" in str(raised.value.user_message)
    assert any(takeover)
    assert engine.staged_count(import_id) == 400  # the batches before the bad one's
    assert multiprocessing.active_children() == []
