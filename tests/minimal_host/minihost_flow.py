"""The ERP import driven through the minimal host over HTTP, as an admin clicks
it: log in, add an Acme connection on the host's own page, then ERP Sync ->
Select ERP connection -> Search ERP -> Add Import -> settings -> preview ->
Import. Used by the tests, and run as a script in a fresh interpreter where
importing ``erpsync.host`` is made impossible:

    python minihost_flow.py DATA_DIR      # prints the result as JSON
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

MOUNT = "/erp-import"


def _location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:1000])
    return response.headers["location"]


def _ok(response: Any) -> str:
    assert response.status_code == 200, (response.status_code, response.text[:1000])
    return response.text


def _values(page: str, name: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'name="{name}" value="([^"]*)"', page)]


def finished(client: Any, url: str, timeout: float = 30.0) -> str:
    """The page the import's progress page leads to once the import is done
    (the import runs in the background: the progress page reloads until then)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url)
        if response.status_code == 303:
            url = response.headers["location"]
            continue
        page = _ok(response)
        if 'http-equiv="refresh"' not in page or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def login(client: Any, username: str = "boss") -> None:
    _location(client.post("/login", data={"username": username, "password": "secret"}))


def add_acme_connection(client: Any, name: str = "Acme North") -> None:
    _location(client.post("/admin/connections", data={
        "name": name, "connector": "acme", "config": "region=north"}))


def run_import(client: Any) -> dict[str, Any]:
    """The whole ERP import of Acme's northern customers; returns what it saw."""
    seen: dict[str, Any] = {}
    screen = _ok(client.get("/admin/import"))
    start = re.search(r'data-source="erp"><a href="([^"]+)"', screen)
    assert start, screen
    select = _ok(client.get(html.unescape(start.group(1))))
    seen["select_title"] = re.search(r"<h1>(.*?)</h1>", select, re.S).group(1).strip()
    seen["skinned"] = 'href="/static/minicrm.css"' in select
    connection = re.search(r'<option value="(\d+)"[^>]*>Acme North</option>', select)
    assert connection, select
    form_tag = r'<form method="post" action="([^"]+)" class="dialog-form"'
    action = html.unescape(re.search(form_tag, select).group(1))
    # Every form of the dialogs carries the session's token (erpsync_csrf_token).
    token = _values(select, "csrf_token")
    assert token, "the dialog's form has no csrf_token"
    search_url = _location(client.post(action, data={"connection": connection.group(1),
                                                      "type": "customer",
                                                      "csrf_token": token[0]}))
    query = urlencode([("connection", connection.group(1)), ("type", "customer"),
                       ("run", "1"), ("f.0", "NAME"), ("op.0", "begins"), ("v.0", "acme")])
    results = _ok(client.get(f"{search_url.split('?')[0]}?{query}"))
    keys = _values(results, "key")
    seen["found"] = sorted(keys)
    add = html.unescape(re.search(r'<form method="post" action="([^"]+)" class="add-import-form"',
                                  results).group(1))
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                        results.split('class="add-import-form"', 1)[1].split("</form>", 1)[0])
    form: dict[str, list[str]] = {}
    for name, value in hidden:
        form.setdefault(html.unescape(name), []).append(html.unescape(value))
    form["key"] = keys
    form["scope"] = ["selected"]
    staged_url = _location(client.post(add, data=form))
    import_id = int(re.search(r"/imports/(\d+)/", staged_url).group(1))
    _ok(client.get(staged_url))
    preview_url = _location(client.post(f"{MOUNT}/imports/{import_id}/settings",
                                        data={"csrf_token": token[0]}))
    preview = _ok(client.get(preview_url))
    rows = _values(preview, "row")
    after = _location(client.post(f"{MOUNT}/imports/{import_id}/apply",
                                  data={"row": rows, "checked": rows,
                                        "csrf_token": token[0]}))
    result = finished(client, after)
    seen["import_id"] = import_id
    seen["result_links"] = re.findall(r'<p class="selection-link">\s*<a href="([^"]+)"', result)
    return seen


def main(data_dir: str) -> None:
    """Run the flow in this interpreter and print what it saw, with the
    erpsync modules that were loaded."""
    from minihost import MiniCrm
    from starlette.testclient import TestClient

    crm = MiniCrm(Path(data_dir))
    with TestClient(crm, follow_redirects=False) as client:
        login(client)
        add_acme_connection(client)
        seen = run_import(client)
    seen["modules"] = sorted(m for m, module in sys.modules.items()
                             if m.startswith("erpsync") and module is not None)
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1])
