"""/healthz (200 with the database, 503 without) and the structured logs: a real
``erpsync demo`` process writes one JSON line per request and per import step
(with the import id), and never the query string or a password."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from reliability_helpers import follow, free_port, settings_and_apply, wait_for
from sqlalchemy import create_engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.logging_setup import JsonFormatter, configure_logging, log_import_step
from reliability_figures import record


def test_healthz_says_ok_with_the_database(app: Starlette) -> None:
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers  # no session for a probe


def test_healthz_says_unavailable_without_the_database(app: Starlette) -> None:
    with TestClient(app) as client:
        app.state.db = create_engine("sqlite:////nonexistent-folder/erpsync.sqlite")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


def test_json_lines_carry_the_extra_fields_and_the_traceback() -> None:
    record_ = logging.LogRecord("erpsync.import", logging.INFO, __file__, 1,
                                "import %s: %s", (7, "done"), None)
    record_.import_id, record_.step, record_.new = 7, "done", 3
    line = json.loads(JsonFormatter().format(record_))
    assert line["message"] == "import 7: done" and line["level"] == "info"
    assert (line["import_id"], line["step"], line["new"]) == (7, "done", 3)
    try:
        raise ValueError("bad")
    except ValueError:
        import sys as _sys

        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (),
                                    _sys.exc_info())
    assert "ValueError: bad" in json.loads(JsonFormatter().format(failing))["exc"]


def test_configure_logging_writes_one_json_object_per_line(tmp_path: Path) -> None:
    out = (tmp_path / "log.jsonl").open("w+", encoding="utf-8")
    handler = configure_logging("json", stream=out)
    try:
        log_import_step(12, "stage", added=5)
        logging.getLogger("erpsync.test").warning("two\nlines")
    finally:
        logging.getLogger().removeHandler(handler)
    out.seek(0)
    lines = [json.loads(line) for line in out.read().splitlines()]
    assert lines[0]["import_id"] == 12 and lines[0]["added"] == 5
    assert lines[1]["message"] == "two\nlines"


def test_a_real_server_logs_requests_and_import_steps_as_json(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "server.log"
    env = {**os.environ, "ERPSYNC_LOG_FORMAT": "json", "ERPSYNC_LANG": "en",
           "ERPSYNC_DATA_DIR": str(tmp_path / "data")}
    env.pop("ERPSYNC_DB", None)
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "erpsync.cli", "demo", "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=out, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            assert process.poll() is None, log_path.read_text()
            try:
                return httpx.get(base + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 60, "erpsync demo")
        with httpx.Client(base_url=base, follow_redirects=False,
                          headers={"Accept-Language": "en"}) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              client.get("/login").text).group(1)
            assert client.post("/login", data={"username": "admin", "password": "admin",
                                               "csrf_token": token}).status_code == 303
            client.headers["X-CSRF-Token"] = re.search(
                r'name="csrf_token" value="([^"]+)"', client.get("/settings").text).group(1)
            client.get("/settings/import", params={"secret": "query-do-not-log"})
            connection = re.search(r'<option value="(\d+)"',
                                   client.get("/erpsync/erp/select-connection").text).group(1)
            assert client.post("/erpsync/erp/add-import", data={
                "connection": connection, "type": "customer", "scope": "selected",
                "key": ["CUST-10025", "CUST-10057"]}).status_code == 303
            import_id = int(re.search(r"/imports/(\d+)/",
                                      client.get("/settings/import").text).group(1))
            url, _ = follow(client, settings_and_apply(client, import_id))
            assert "/result" in url
    finally:
        process.terminate()
        process.wait(20)
    text = log_path.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(lines) == len([line for line in text.splitlines() if line.strip()]), text[-2000:]
    requests = [line for line in lines if line["logger"] == "erpsync.request"]
    steps = [line for line in lines if line["logger"] == "erpsync.import"]
    assert len(requests) >= 10
    for line in requests:
        assert {"ts", "level", "request_id", "method", "path", "status", "duration_ms",
                "user_id"} <= set(line), line
    assert {line["path"] for line in requests} >= {"/healthz", "/login", "/settings/import"}
    assert {line["step"] for line in steps if line["import_id"] == import_id} >= {
        "stage", "preview", "backup", "apply", "done"}
    assert "query-do-not-log" not in text
    assert "password" not in text.lower()
    record("reliability.logs", request_lines=len(requests), import_step_lines=len(steps),
           non_json_lines=0, query_strings_logged=0)
