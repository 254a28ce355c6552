"""Helpers of the load test: the reference host as a real ``erpsync serve``
process, admins browsing the wizard, an admin importing a big file, and the
latency figures."""

from __future__ import annotations

import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(data_dir: Path, admins: int) -> int:
    """The demo (admin/admin, Demo ERP) plus ``admins`` more admins (admin1..);
    returns the Demo ERP connection id."""
    from erpsync.connections import ConnectionStore
    from erpsync.host import users
    from erpsync.host.app import create_app
    from erpsync.host.demo import DEMO_CONNECTION, ensure_demo

    app = create_app(data_dir=data_dir, load_entry_points=False)
    ensure_demo(app, data_dir, echo=None)
    for n in range(1, admins + 1):
        users.create_user(app.state.db, f"admin{n}", f"admin{n}", is_admin=True)
    connection_id = ConnectionStore(app.state.db).get_by_name(DEMO_CONNECTION).id
    app.state.db.dispose()
    return connection_id


class Server:
    """``erpsync serve`` on a free port of 127.0.0.1, JSON logs to a file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "ERPSYNC_LOG_FORMAT": "json", "ERPSYNC_LANG": "en"}
        env.pop("ERPSYNC_DB", None)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "erpsync.cli", "serve", "--data-dir", str(self.data_dir),
                 "--port", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=out, env=env)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def client(base_url: str, username: str, timeout: float = 600.0) -> httpx.Client:
    """An httpx client logged in as ``username`` (password = username), sending
    the session's CSRF token on every request."""
    http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=timeout,
                        headers={"Accept-Language": "en"})
    token = _CSRF.search(http.get("/login").text).group(1)
    answer = http.post("/login", data={"username": username, "password": username,
                                       "csrf_token": token})
    assert answer.status_code == 303, answer.text[:500]
    http.headers["X-CSRF-Token"] = _CSRF.search(http.get("/settings").text).group(1)
    return http


@dataclass
class Sample:
    page: str
    status: int
    seconds: float


@dataclass
class Browsing:
    """Admins loading wizard pages in a loop until told to stop."""

    base_url: str
    connection_id: int
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    watch: dict[str, Any] = field(default_factory=dict)  # progress URL of the big import
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pages(self) -> list[tuple[str, str]]:
        c = self.connection_id
        found = [
            ("import screen", "/settings/import"),
            ("select connection", f"/erpsync/erp/select-connection?connection={c}"),
            ("search", f"/erpsync/erp/search?connection={c}&type=customer&run=1"
                       "&f.0=POSTALCITY&op.0=contains&v.0=o"),
            ("search, page 3", f"/erpsync/erp/search?connection={c}&type=person&run=1&page=3"),
            ("selections", "/settings/selections"),
            ("import history", "/settings/imports"),
            ("help", "/erpsync/help/import-from-erp"),
            ("connections", "/settings/connections"),
        ]
        if self.watch.get("progress"):
            found.append(("progress of the big import", self.watch["progress"]))
        return found

    def run(self, username: str) -> None:
        http = client(self.base_url, username, timeout=60)
        try:
            n = 0
            while not self.stop.is_set():
                pages = self.pages()
                label, path = pages[n % len(pages)]
                n += 1
                started = time.perf_counter()
                try:
                    answer = http.get(path)
                    status = answer.status_code
                except httpx.HTTPError as exc:
                    status = 0
                    with self._lock:
                        self.errors.append(f"{label}: {type(exc).__name__}: {exc}")
                seconds = time.perf_counter() - started
                with self._lock:
                    self.samples.append(Sample(label, status, seconds))
                    if status not in (200, 303):
                        self.errors.append(f"{label}: HTTP {status}")
        finally:
            http.close()


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def write_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Name,Number,City,Email,Phone\r\n")
        for n in range(rows):
            out.write(f"Load {n:07d} AS,L{n:07d},City {n % 211},post{n}@load{n % 89}.example,"
                      f"+47 {n:08d}\r\n")
    return path


def selected_fields(page: str) -> list[str]:
    chosen = []
    for body in re.findall(r'<select id="col-\d+" name="col\.\d+">(.*?)</select>', page, re.S):
        found = re.search(r'<option value="([^"]*)" selected', body)
        chosen.append(found.group(1) if found else "")
    return chosen


def import_file(http: httpx.Client, path: Path, browsing: Browsing) -> dict[str, float | int]:
    """The File source over HTTP: upload, map columns (as suggested), Add Import,
    Next, preview, Import, and wait for the result. Returns timings in seconds."""
    timings: dict[str, float | int] = {}
    started = time.perf_counter()
    with path.open("rb") as fh:
        answer = http.post("/erpsync/file/upload", data={"type": "customer"},
                           files={"file": (path.name, fh, "text/csv")})
    assert answer.status_code == 303, answer.text[:1000]
    mapping = answer.headers["location"]
    timings["upload_s"] = time.perf_counter() - started
    fields = selected_fields(http.get(mapping).text)
    assert "NAME" in fields, fields
    mark = time.perf_counter()
    answer = http.post(mapping, data={**{f"col.{i}": f for i, f in enumerate(fields)},
                                      "action": "import"})
    assert answer.status_code == 303, answer.text[:1000]
    import_id = int(re.search(r"/imports/(\d+)/", answer.headers["location"]).group(1))
    timings["import_id"] = import_id
    timings["stage_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    answer = http.post(f"/erpsync/imports/{import_id}/settings", data={})
    assert answer.status_code == 303, answer.text[:1000]
    assert http.get(f"/erpsync/imports/{import_id}/preview").status_code == 200
    timings["preview_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    answer = http.post(f"/erpsync/imports/{import_id}/apply")
    assert answer.status_code == 303, answer.text[:1000]
    url = answer.headers["location"]
    browsing.watch["progress"] = url
    while "/result" not in url:
        page = http.get(url)
        if page.status_code == 303:
            url = page.headers["location"]
            continue
        assert page.status_code == 200, page.text[:500]
        assert '/retry"' not in page.text, "the import failed"
        time.sleep(0.25)
    timings["apply_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    return timings
