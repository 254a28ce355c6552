"""Large stagings on two cores: this process prepares the rows, a writer
process inserts them.

Staging is Python work twice over: reading the connector's actors and
preparing their rows (values, match keys, communications), then binding the
rows' values for the database. In one process the two take turns; for a large
staging :class:`BatchWriter` starts a writer process that inserts the prepared
batches while this process prepares the next ones.

The writer is a fresh interpreter (``python -m erpsync.engine.stagewriter``)
talking over a socket pair: unlike ``multiprocessing``'s spawn it does not
import the host's main module again, and it shares no threads, locks or
connections with the host. The database URL (which may hold a password) goes
over the socket, not the command line.

The order of the rows is kept (the first staging of an ERP key wins): the
batches before the switch are written here, those after it by the writer
alone, one after the other. The writer checks that the import is still
pending before each batch, as :meth:`ImportEngine.stage` does; a batch is all
or nothing. When the writer cannot start (no database it can open, a
restricted host), staging goes on in this process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import socket
import subprocess
import sys
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..i18n import lazy_gettext
from .results import ImportError_, StaleImportError
from .runs import MSG_NOT_PENDING
from .staging import write_batch

log = logging.getLogger(__name__)

#: Rows written in this process before a writer process is started. It takes
#: over once it is ready (it starts in about half a second, meanwhile staging
#: goes on here); a staging that ends before that stops it unused, so no
#: staging waits for it.
START_AFTER_ROWS = 5_000
#: Batches sent to the writer and not yet written: memory stays flat.
MAX_IN_FLIGHT = 2
#: How long closing waits for the writer to finish and exit (seconds).
STOP_TIMEOUT = 60.0
#: How long a batch waits for a starting writer (seconds): 0, staging goes on
#: here meanwhile. (Tests wait, to have the writer take over a small staging.)
READY_WAIT = 0.0

_READY = b"ready"
_DONE = b""

MSG_WRITER_FAILED = lazy_gettext(
    "Not all actors could be added to the import: the database did not take them. "
    "The actors added before the error stay in the import; add the others again.")


def can_use_processes(db: Engine) -> bool:
    """Whether a writer process can be started and open ``db`` from its URL:
    ``sys.executable`` is a Python (not the binary of a server embedding
    Python), and the database PostgreSQL or a SQLite file (not in memory)."""
    if not Path(sys.executable or "").name.lower().startswith(("python", "pypy")):
        return False
    url = db.url
    if db.dialect.name == "postgresql":
        return True
    if db.dialect.name != "sqlite":
        return False
    database = url.database or ""
    return bool(database) and database != ":memory:" and "mode=memory" not in str(url)


class BatchWriter:
    """Writes prepared batches of one import's staging, in order.

    Batches are written by :func:`.staging.write_batch`: in this process, or
    with ``processes`` by a writer process that takes over after
    :data:`START_AFTER_ROWS` rows. Call :meth:`finish` after the last batch
    (it raises the writer's error, if any) and :meth:`close` in any case.
    """

    def __init__(self, db: Engine, import_id: int, processes: bool) -> None:
        self._db, self._import_id = db, import_id
        self._processes = processes and can_use_processes(db)
        self._rows = 0
        self._pipe: Pipe | None = None
        self._process: Any = None
        self._ready = False
        self._in_flight = 0

    @property
    def by_writer(self) -> bool:
        """True once the writer process writes the batches."""
        return self._ready

    def write(self, rows: list[Any]) -> None:
        self._rows += len(rows)
        if self._processes and self._process is None and self._rows > START_AFTER_ROWS:
            self._start()
        if self._pipe is not None and not self._ready:
            self._check_ready()
        if self._ready:
            self._send(rows)
        else:
            write_batch(self._db, self._import_id, rows)

    def finish(self) -> None:
        """Wait until every batch sent is written; raises the writer's error."""
        while self._in_flight:
            self._receive()

    def close(self) -> None:
        """Stop the writer process (after the batches it has; never raises)."""
        pipe, process, ready = self._pipe, self._process, self._ready
        self._pipe = self._process = None
        self._ready = False
        if pipe is not None and ready:
            try:
                pipe.send_bytes(_DONE)
                while self._in_flight:  # written or not, wait for each answer
                    pipe.recv_bytes()
                    self._in_flight -= 1
            except (OSError, EOFError):
                pass
        elif process is not None:  # still starting: it has written nothing
            process.terminate()
        if pipe is not None:
            pipe.close()
        if process is not None:
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("staging writer of import %s did not stop; terminating it",
                            self._import_id)
                process.kill()
                process.wait()

    # -- the writer process ------------------------------------------------------
    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno()), str(self._import_id)],
                pass_fds=[theirs.fileno()], env=_child_environment(), stdin=subprocess.DEVNULL)
        except Exception:  # e.g. a host that may not start processes
            log.warning("staging writer of import %s could not start; staging goes on "
                        "in this process", self._import_id, exc_info=True)
            self._processes = False
            ours.close()
            return
        finally:
            theirs.close()
        pipe = Pipe(ours.detach())
        with contextlib.suppress(OSError):  # if it stopped already, _check_ready sees it
            pipe.send_bytes(self._database_url().encode())
        self._pipe, self._process = pipe, process

    def _database_url(self) -> str:
        """The URL the writer opens: the engine's (with its password)."""
        return self._db.url.render_as_string(hide_password=False)

    def _check_ready(self) -> None:
        assert self._pipe is not None
        try:
            if not self._pipe.poll(READY_WAIT):
                return
            message = self._pipe.recv_bytes()
        except (OSError, EOFError):
            message = b"the writer process stopped while starting"
        if message == _READY:
            self._ready = True
            return
        log.warning("staging writer of import %s did not start (%s); staging goes on "
                    "in this process", self._import_id, message[:500].decode(errors="replace"))
        self._processes = False
        self.close()

    def _send(self, rows: list[Any]) -> None:
        assert self._pipe is not None
        while self._in_flight >= MAX_IN_FLIGHT:
            self._receive()
        try:
            self._pipe.send_bytes(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, EOFError) as exc:
            raise ImportError_(MSG_WRITER_FAILED, f"staging writer stopped: {exc!r}") from exc
        self._in_flight += 1

    def _receive(self) -> None:
        assert self._pipe is not None
        try:
            answer = self._pipe.recv_bytes()
        except (OSError, EOFError) as exc:
            self._in_flight = 0
            raise ImportError_(MSG_WRITER_FAILED, "staging writer process stopped") from exc
        self._in_flight -= 1
        if answer != _DONE:  # the batches after it are answered, not written
            stale, technical = pickle.loads(answer)
            if stale:
                raise StaleImportError(MSG_NOT_PENDING, technical)
            raise ImportError_(MSG_WRITER_FAILED, technical)


def _child_environment() -> dict[str, str]:
    """The writer imports the same erpsync as this process (also one that is
    on ``sys.path`` without being installed)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if isinstance(p, str) and p)
    return env


def writer_main(import_id: int, pipe: Pipe) -> None:
    """The writer process: open the database whose URL comes first through
    ``pipe``, then insert the batches that follow, each in a transaction of
    its own, answering each (an empty answer: written)."""
    try:
        url = pipe.recv_bytes().decode()
        from ..db import make_engine

        db = make_engine(url)
        with db.connect():
            pass  # the database opens: ready
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which goes on alone
        pipe.send_bytes(repr(exc).encode())
        return
    pipe.send_bytes(_READY)
    failed = False
    try:
        while (data := pipe.recv_bytes()) != _DONE:
            if failed:  # answer the batches already sent, writing none
                pipe.send_bytes(pickle.dumps((False, "not written after an error")))
                continue
            try:
                write_batch(db, import_id, pickle.loads(data))
            except Exception as exc:  # noqa: BLE001 - the parent raises it
                failed = True
                log.warning("staging writer of import %s failed", import_id, exc_info=True)
                pipe.send_bytes(pickle.dumps((isinstance(exc, StaleImportError),
                                              repr(exc)[:2000])))
                continue
            pipe.send_bytes(_DONE)
    except (EOFError, OSError):
        pass  # the parent is gone: what is not committed rolls back
    finally:
        db.dispose()


if __name__ == "__main__":  # python -m erpsync.engine.stagewriter FD IMPORT_ID
    writer_main(int(sys.argv[2]), Pipe(int(sys.argv[1])))
