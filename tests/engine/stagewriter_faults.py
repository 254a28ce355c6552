"""Writer processes that fail, for tests/engine/test_engine_stagewriter.py.

They run in a spawned process, which imports them by this module's name (the
test's ``sys.path`` is the child's)."""

from __future__ import annotations

from multiprocessing.connection import Connection


def cannot_start(url: str, import_id: int, pipe: Connection) -> None:
    """A writer whose database does not open."""
    pipe.send_bytes(b"OperationalError('unable to open database file')")
