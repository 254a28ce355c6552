"""``erpsync serve`` and ``erpsync demo`` in real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from cli_helpers import assert_clean_error

from erpsync.connections import ConnectionStore
from erpsync.db import make_engine
from erpsync.host import users


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _server(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-m", "erpsync.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "ERPSYNC_LANG": "en", **env})
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_demo_prints_url_and_login_first_and_keeps_away_from_erpsync_db(
        erpsync_data_dir: Path, tmp_path: Path):
    port = _free_port()
    real_db = tmp_path / "real-crm.sqlite"
    with _server(["demo", "--port", str(port)],
                 {"ERPSYNC_DB": f"sqlite:///{real_db}"}) as proc:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first
        assert "admin / admin" in second
        assert _wait_until_up(f"http://127.0.0.1:{port}/login", proc).status_code == 200
    assert not real_db.exists()
    demo_db = make_engine(f"sqlite:///{erpsync_data_dir / 'demo' / 'erpsync.sqlite'}")
    try:
        assert users.authenticate(demo_db, "admin", "admin").is_admin
        assert ConnectionStore(demo_db).get_by_name("Demo ERP").connector == "workbook"
    finally:
        demo_db.dispose()


def test_serve_uses_the_db_option(db_url: str, db_path: Path):
    port = _free_port()
    with _server(["--db", db_url, "serve", "--port", str(port)], {}) as proc:
        assert "Serving erpsync on" in proc.stdout.readline()
        assert _wait_until_up(f"http://127.0.0.1:{port}/login", proc).status_code == 200
    assert db_path.exists()


def test_port_in_use_is_one_line(cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_clean_error(cli("serve", "--port", str(port)), 1, "--port")


def test_a_bad_backup_option_stops_the_start(cli):
    result = cli("serve", "--port", str(_free_port()), env={"ERPSYNC_BACKUP_KEEP": "0"})
    assert_clean_error(result, 2, "ERPSYNC_BACKUP_KEEP", "at least 1")
