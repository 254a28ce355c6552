"""Helpers of the security tests: every route of the app (the mounted erpsync app
included, so routes added later are covered), login, page text and forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

import demo_host
from demo_host import csrf_of, follow_to_result, text_of  # noqa: F401 - the security tests import them from here

#: Methods that must not change anything (so need no CSRF token).
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

#: Values for path parameters, by name; anything else gets "x".
PARAM_VALUES: dict[str, Any] = {"id": 1, "import_id": 1, "selection_id": 1,
                                "page": "import-from-erp", "topic": "import-from-erp"}


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, with its full path (mount prefixes included)."""

    method: str
    template: str  # e.g. /erpsync/imports/{import_id:int}/apply
    name: str

    def path(self, **values: Any) -> str:
        """The path with its parameters filled (``values`` first, then defaults)."""
        params = {**PARAM_VALUES, **values}

        def fill(match: re.Match[str]) -> str:
            return str(params.get(match.group(1), "x"))

        return re.sub(r"\{(\w+)(?::\w+)?\}", fill, self.template)


@dataclass(frozen=True)
class StaticMount:
    """A mount serving files (no routes of its own)."""

    prefix: str
    name: str


def _children(app: Any) -> list[BaseRoute] | None:
    if isinstance(app, Router):
        return list(app.routes)
    router = getattr(app, "router", None)
    if isinstance(router, Router):
        return list(router.routes)
    return None


def walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[Endpoint | StaticMount]:
    """Every endpoint of ``routes``, descending into mounted apps and routers."""
    for route in routes:
        if isinstance(route, Mount):
            children = _children(route.app)
            if children is not None:
                yield from walk(children, prefix + route.path)
            elif isinstance(route.app, StaticFiles):
                yield StaticMount(prefix + route.path, route.name or "")
            else:
                raise AssertionError(f"cannot look inside the mount {prefix + route.path}: "
                                     "extend security_helpers.walk")
        elif isinstance(route, Route):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    yield Endpoint(method, prefix + route.path, route.name)
        else:
            raise AssertionError(f"unknown kind of route {route!r}: extend walk")


def endpoints(app: Any) -> list[Endpoint]:
    return [e for e in walk(list(app.routes)) if isinstance(e, Endpoint)]


def static_mounts(app: Any) -> list[StaticMount]:
    return [e for e in walk(list(app.routes)) if isinstance(e, StaticMount)]


def login(client: TestClient, username: str, password: str, *, header: bool = False) -> None:
    """:func:`demo_host.login`, by default without the CSRF header: these tests
    add tokens themselves where they test them."""
    demo_host.login(client, username, password, header=header)


@dataclass
class Form:
    """A ``<form>`` of a page: its method, action and the names/values it posts."""

    method: str
    action: str
    enctype: str
    fields: list[tuple[str, str]]
    buttons: list[tuple[str, str]]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(a.get("method", "get").lower(), a.get("action", ""),
                              a.get("enctype", ""), [], [])
            self.forms.append(self._open)
        elif self._open is not None and tag == "button" and a.get("name"):
            self._open.buttons.append((a["name"], a.get("value", "")))
        elif self._open is not None and tag in ("input", "select", "textarea") and a.get("name"):
            self._open.fields.append((a["name"], a.get("value", "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def forms_of(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


# ------------------------------------------------------------------ import flow


def location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:500])
    return response.headers["location"]


def add_import(client: TestClient, connection_id: int, actor_type: str,
               keys: list[str]) -> str:
    """Add ERP actors to the admin's pending import (Add Import)."""
    data: dict[str, list[str]] = {"connection": [str(connection_id)], "type": [actor_type],
                                  "scope": ["selected"], "key": list(keys)}
    return location(client.post("/erpsync/erp/add-import", data=data))


def run_import(client: TestClient, import_id: int, timeout: float = 60.0) -> str:
    """Next (default settings), preview, Import with every row; the result URL."""
    location(client.post(f"/erpsync/imports/{import_id}/settings", data={}))
    assert client.get(f"/erpsync/imports/{import_id}/preview").status_code == 200
    return follow_to_result(client, location(client.post(f"/erpsync/imports/{import_id}/apply")),
                            timeout)


# ------------------------------------------------------------------ malicious ERP data

#: Each payload sets window.__xss (and opens a dialog) if it ever runs.
PAYLOADS: dict[str, str] = {
    "script": "<script>window.__xss='script';alert('script')</script>",
    "img": "<img src=x onerror=\"window.__xss='img';alert('img')\">",
    "quote": "\"'><svg onload=\"window.__xss='svg'\">",
    "attr": "' onmouseover='window.__xss=1' x='",
    "textarea": "</textarea></title><script>window.__xss='close'</script>",
    "template": "{{ 7*7 }} {% raw %} %(num)s %s ${7*7}",
    "url": "javascript:window.__xss='url'//",
}


def write_evil_workbook(folder: Path) -> dict[str, Any]:
    """A Workbook "ERP" (CSV folder) whose actor data, field names and list item
    names carry :data:`PAYLOADS`; returns what the pages must show as typed."""
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    p = PAYLOADS
    customers = [
        {"ERPKEY": "EVIL-1", "NAME": p["script"], "POSTALCITY": p["img"],
         "EMAIL": "a@example.com", "URL": p["url"], "CATEGORY": "evil"},
        {"ERPKEY": "EVIL-2", "NAME": p["img"], "POSTALCITY": p["quote"],
         "EMAIL": "b@example.com", "URL": "", "CATEGORY": "evil"},
        {"ERPKEY": "EVIL-3", "NAME": p["quote"] + " " + p["attr"], "POSTALCITY": p["template"],
         "EMAIL": "c@example.com", "URL": "", "CATEGORY": ""},
        {"ERPKEY": "\"><script>window.__xss='key'</script>", "NAME": p["textarea"],
         "POSTALCITY": "Oslo", "EMAIL": "", "URL": "", "CATEGORY": ""},
    ]
    persons = [
        {"ERPKEY": "EVIL-P1", "PARENTKEY": "EVIL-1", "PARENTTYPE": "customer",
         "FIRSTNAME": p["img"], "LASTNAME": p["script"], "EMAIL": "p@example.com"},
    ]
    fields = [
        {"ACTORTYPE": "customer", "KEY": "NAME", "NAME": "Name " + p["img"], "TYPE": "text"},
        {"ACTORTYPE": "customer", "KEY": "POSTALCITY", "NAME": "City " + p["script"],
         "TYPE": "text"},
        {"ACTORTYPE": "customer", "KEY": "EMAIL", "NAME": "Email", "TYPE": "text"},
        {"ACTORTYPE": "customer", "KEY": "URL", "NAME": "Website " + p["quote"], "TYPE": "text"},
        {"ACTORTYPE": "customer", "KEY": "CATEGORY", "NAME": "Category", "TYPE": "list",
         "LIST": "category"},
        {"ACTORTYPE": "person", "KEY": "FIRSTNAME", "NAME": "First " + p["quote"],
         "TYPE": "text"},
        {"ACTORTYPE": "person", "KEY": "LASTNAME", "NAME": "Last", "TYPE": "text"},
        {"ACTORTYPE": "person", "KEY": "EMAIL", "NAME": "Email", "TYPE": "text"},
    ]
    lists = [{"LIST": "category", "KEY": "evil", "NAME": "Evil " + p["script"],
              "NAME_nl": "Kwaad " + p["img"], "NAME_no": "Ond " + p["quote"]}]

    def write(name: str, rows: list[dict[str, str]], columns: list[str]) -> None:
        with (folder / name).open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    write("customer.csv", customers, ["ERPKEY", "NAME", "POSTALCITY", "EMAIL", "URL",
                                      "CATEGORY"])
    write("person.csv", persons, ["ERPKEY", "PARENTKEY", "PARENTTYPE", "FIRSTNAME",
                                  "LASTNAME", "EMAIL"])
    write("fields.csv", fields, ["ACTORTYPE", "KEY", "NAME", "TYPE", "LIST", "MAXLENGTH"])
    write("lists.csv", lists, ["LIST", "KEY", "NAME", "NAME_nl", "NAME_no"])
    return {"customer_keys": [c["ERPKEY"] for c in customers],
            "person_keys": [p_["ERPKEY"] for p_ in persons],
            "names": [c["NAME"] for c in customers]}


# ------------------------------------------------------------------ a live server


