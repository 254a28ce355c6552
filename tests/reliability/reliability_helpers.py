"""Helpers of the reliability tests: login, pages, the import flow over HTTP,
processes started (and killed) by the tests, generated workbooks."""

from __future__ import annotations

import csv
import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOKEN = "reliability-token-0123456789abcdef"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll ``condition`` until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def login(client: TestClient, username: str = "admin", password: str = "admin") -> None:
    """Log in; the client then sends the session's CSRF token on every request."""
    token = _CSRF.search(client.get("/login").text)
    assert token
    response = client.post("/login", data={"username": username, "password": password,
                                           "next": "/settings", "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text[:300]
    token = _CSRF.search(client.get("/settings").text)
    assert token
    client.headers["X-CSRF-Token"] = token.group(1)


def text_of(page: str) -> str:
    body = page.split("<main", 1)[-1]
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body))).strip()


def location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:500])
    return response.headers["location"]


def follow(client: Any, url: str, timeout: float = 120.0,
           outages: list[int] | None = None) -> tuple[str, str]:
    """Follow an import's progress page until it stops refreshing; returns the
    final URL and page. With ``outages`` (a list), answers 500/503 while the
    database is down are counted there and the page is loaded again, as the
    admin's browser would."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url)
        if response.status_code == 303:
            url = response.headers["location"]
            continue
        if outages is not None and response.status_code in (500, 503):
            outages.append(response.status_code)
            assert time.monotonic() < deadline, "the database did not come back"
            time.sleep(0.1)
            continue
        assert response.status_code == 200, (url, text_of(response.text)[:300])
        if 'http-equiv="refresh"' not in response.text or "/result" in url:
            return url, response.text
        assert time.monotonic() < deadline, "the import did not finish in time"
        time.sleep(0.05)


def settings_and_apply(client: Any, import_id: int) -> str:
    """Next (default settings), the preview, Import; returns the progress URL."""
    location(client.post(f"/erpsync/imports/{import_id}/settings", data={}))
    assert client.get(f"/erpsync/imports/{import_id}/preview").status_code == 200
    return location(client.post(f"/erpsync/imports/{import_id}/apply"))


def write_customers(folder: Path, count: int, prefix: str = "C") -> Path:
    """A Workbook "ERP" folder with ``count`` customers (``customer.csv``)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "customer.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["ERPKEY", "NAME", "NUMBER1", "POSTALCITY", "EMAIL", "PHONE"])
        for n in range(count):
            writer.writerow([f"{prefix}-{n:07d}", f"Company {prefix}{n:07d} AS",
                             f"{prefix}{n:07d}", ("Oslo", "Bergen", "Utrecht")[n % 3],
                             f"post{n}@{prefix.lower()}{n % 97}.example", f"+47 {n:08d}"])
    return folder


class Service:
    """A connector service process (slow_connector_service.py) started by a test."""

    def __init__(self, path: Path, marks: Path, *, port: int | None = None,
                 delay: float = 0.0) -> None:
        self.path, self.marks, self.delay = path, marks, delay
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        marks.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Service:
        env = {**os.environ, "ERPSYNC_CONNECTOR_TOKEN": TOKEN, "ERPSYNC_LANG": "en"}
        log = (self.marks.parent / f"service-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "slow_connector_service.py"), "--path", str(self.path),
             "--port", str(self.port), "--delay", str(self.delay), "--marks", str(self.marks)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()

        def answers() -> bool:
            assert self.process is not None and self.process.poll() is None, "service died"
            try:
                return httpx.get(self.url + "/v1/", timeout=1,
                                 headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(answers, timeout, "the connector service to answer")
        return self

    def marks_of(self, call: str) -> int:
        return len(list(self.marks.glob(f"*.{call}")))

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def load_trytonctl() -> Any:
    """tools/tryton/trytonctl.py (standard library only), as a module."""
    import importlib.util

    if "trytonctl" in sys.modules:
        return sys.modules["trytonctl"]
    spec = importlib.util.spec_from_file_location("trytonctl",
                                                  REPO / "tools" / "tryton" / "trytonctl.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["trytonctl"] = module
    spec.loader.exec_module(module)
    return module
