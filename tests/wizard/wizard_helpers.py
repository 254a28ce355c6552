"""Helpers of the wizard's HTTP tests: login, forms with repeated fields, page text."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.testclient import TestClient

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def login(client: TestClient, username: str, password: str) -> None:
    page = client.get("/login")
    token = _CSRF.search(page.text)
    assert token, "the login page has no csrf_token"
    response = client.post("/login", data={"username": username, "password": password,
                                           "next": "/settings", "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text
    # erpsync's dialogs want the session's CSRF token on every POST (erpsync.security).
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/settings").text)
    assert token, "no csrf_token on /settings"
    client.headers["X-CSRF-Token"] = token.group(1)


def form(pairs: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> dict[str, list[str]]:
    """Form data with repeated names (the test client wants a dict of lists)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    data: dict[str, list[str]] = {}
    for name, value in items:
        data.setdefault(name, []).append(str(value))
    return data


def text_of(page: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    body = page.split("<main", 1)[-1]
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body))).strip()


def values_of(page: str, name: str) -> list[str]:
    """Values of the inputs called ``name``."""
    return [html.unescape(v) for v in
            re.findall(rf'name="{re.escape(name)}" value="([^"]*)"', page)]


def location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:500])
    return response.headers["location"]


def follow_to_result(client: TestClient, url: str, timeout: float = 60.0) -> str:
    """The result URL of an import job: follows its progress page (which
    answers 200 while the job runs and redirects once it is finished)."""
    import time

    deadline = time.monotonic() + timeout
    while "/result" not in url:
        response = client.get(url)
        if response.status_code == 303:
            url = response.headers["location"]
            continue
        assert response.status_code == 200, text_of(response.text)[:500]
        assert '/retry"' not in response.text, "the import failed: " + text_of(response.text)
        assert time.monotonic() < deadline, "the import did not finish in time"
        time.sleep(0.05)
    return url
