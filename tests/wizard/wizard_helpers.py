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
