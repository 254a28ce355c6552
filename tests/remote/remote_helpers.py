"""Helpers of the remote connector tests: ``erpsync connector serve`` in a
real process on 127.0.0.1, and JSON Schema checks against the OpenAPI document."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from erpsync.connectors.remote_protocol import openapi_document

TOKEN = "remote-test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    """One ``erpsync connector serve`` process started by a test."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """Stop the process this test started (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_service(args: list[str], workdir: Path, token: str = TOKEN,
                  timeout: float = 30.0, env: dict[str, str] | None = None) -> Service:
    """Run ``erpsync connector serve ARGS --port <free>`` with the token in the
    environment and wait until it answers ``GET /v1/``."""
    port = free_port()
    log = workdir / f"service-{port}.log"
    environ = {**os.environ, "ERPSYNC_CONNECTOR_TOKEN": token, "ERPSYNC_LANG": "en",
               **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "erpsync.cli", "connector", "serve", *args,
             "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=environ,
            cwd=workdir)
    service = Service(process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"connector serve exited with {process.returncode}:\n"
                               + service.output())
        try:
            answer = httpx.get(f"{service.url}/v1/", timeout=1,
                               headers={"Authorization": f"Bearer {token}"})
            if answer.status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    service.stop()
    raise RuntimeError(f"connector serve did not answer within {timeout} s:\n"
                       + service.output())


_DOCUMENT = openapi_document()


def check_schema(name: str, data: Any) -> None:
    """Fail unless ``data`` is valid for the OpenAPI component schema ``name``."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _DOCUMENT["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=str)
    assert not errors, f"{name}: " + "; ".join(e.message for e in errors[:5])


def login(client: Any, username: str, password: str) -> None:
    """Log in to the reference host through its login form."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the login page has no csrf_token"
    response = client.post("/login", data={"username": username, "password": password,
                                           "next": "/settings", "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text
    # erpsync's dialogs want the session's CSRF token on every POST (erpsync.security).
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/settings").text)
    assert token, "no csrf_token on /settings"
    client.headers["X-CSRF-Token"] = token.group(1)
