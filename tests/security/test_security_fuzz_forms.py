"""Random and forged input (hypothesis) to the forms: Search ERP criteria, Add
Import, import settings, preview checks, staged rows, and the host's own forms.
Nothing ever fails with a server error; a field or operator the connector does
not declare is refused with 400; bad input is answered with a localized
message and loses nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_helpers import add_import, text_of
from starlette.testclient import TestClient

from erpsync.connectors.base import ActorType, Operator
from erpsync.engine.settings import ImportSettings
from reliability_figures import record

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
OPERATORS = [op.value for op in Operator]
FIELDS = ["NAME", "POSTALCITY", "NUMBER1", "CREDITLIMIT", "CATEGORY", "BLOCKED",
          "LASTMODIFIED", "EMAIL", "DEPARTMENT"]
NASTY = ["", " ", "0", "-1", "1e309", "NaN", "9" * 40, "2024-13-45", "' OR 1=1 --", "\x00",
         "<script>alert(1)</script>", "%(num)s", "{{7*7}}", "../../etc/passwd", "☃" * 300]
texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
#: Examples run per test, collected for the figures.
RUN: dict[str, int] = {}


def _ok_page(response: Any, where: object) -> None:
    """Never a server error; an error answer is a page with a message."""
    assert response.status_code < 500 or response.status_code == 502, where
    assert "Traceback" not in response.text, where
    if response.status_code >= 400:
        assert text_of(response.text), where


@pytest.fixture
def fuzz_import(admin: TestClient, engine, admin_id: int, connection_id: int) -> int:
    add_import(admin, connection_id, "customer", ["CUST-10025", "CUST-10057", "CUST-10063"])
    return engine.open_import("erp", admin_id)


@FUZZ
@given(rows=st.lists(st.tuples(st.integers(0, 99), st.one_of(st.sampled_from(FIELDS), texts),
                               st.one_of(st.sampled_from(OPERATORS), texts),
                               st.lists(texts, max_size=3), texts), max_size=5),
       actor_type=st.one_of(st.sampled_from([t.value for t in ActorType]), texts),
       page=st.one_of(st.integers(-5, 10**9).map(str), texts))
def test_search_criteria(admin: TestClient, connection_id: int, rows, actor_type, page) -> None:
    RUN["search"] = RUN.get("search", 0) + 1
    params: list[tuple[str, str]] = [("connection", str(connection_id)),
                                     ("type", actor_type), ("run", "1"), ("page", page)]
    for index, field, operator, values, value2 in rows:
        params += [(f"f.{index}", field), (f"op.{index}", operator),
                   *[(f"v.{index}", v) for v in values], (f"v2.{index}", value2)]
    response = admin.get("/erpsync/erp/search", params=params)
    _ok_page(response, params)
    assert response.status_code in (200, 400, 404), (params, response.status_code)


@FUZZ
@given(field=texts.filter(lambda f: f.strip() and f.strip() not in FIELDS),
       operator=st.sampled_from(OPERATORS))
def test_undeclared_fields_are_refused_with_400(admin: TestClient, connection_id: int,
                                                field: str, operator: str) -> None:
    RUN["forged fields"] = RUN.get("forged fields", 0) + 1
    response = admin.get("/erpsync/erp/search", params={
        "connection": connection_id, "type": "customer", "run": "1",
        "f.0": field, "op.0": operator, "v.0": "x"})
    assert response.status_code == 400, (field, response.status_code)


@FUZZ
@given(operator=texts.filter(lambda o: o.strip() not in
                             ("=", "begins", "contains", "ends", "notbegins", "notcontains",
                              "notends", "isnot", "between", "")))
def test_undeclared_operators_are_refused_with_400(admin: TestClient, connection_id: int,
                                                   operator: str) -> None:
    RUN["forged operators"] = RUN.get("forged operators", 0) + 1
    response = admin.get("/erpsync/erp/search", params={
        "connection": connection_id, "type": "customer", "run": "1",
        "f.0": "NAME", "op.0": operator, "v.0": "x"})
    assert response.status_code == 400, (operator, response.status_code)


@FUZZ
@given(keys=st.lists(st.one_of(st.sampled_from(["CUST-10025", "CUST-10001", "PERS-30079"]),
                               texts), max_size=6),
       actor_type=st.one_of(st.sampled_from([t.value for t in ActorType]), texts),
       scope=st.one_of(st.sampled_from(["selected", "all"]), texts),
       connection=st.one_of(st.just(None), texts))
def test_add_import(admin: TestClient, engine, admin_id: int, connection_id: int,
                    keys, actor_type, scope, connection) -> None:
    RUN["add import"] = RUN.get("add import", 0) + 1
    data = {"connection": [connection if connection is not None else str(connection_id)],
            "type": [actor_type], "scope": [scope], "key": keys}
    response = admin.post("/erpsync/erp/add-import", data=data)
    _ok_page(response, data)
    import_id = engine.open_import("erp", admin_id)
    if import_id is not None:  # only real demo actors were staged
        staged = {row["erp_key"] for row in engine.list_staged(import_id, 0, 10_000)}
        assert staged <= demo_keys(), staged - demo_keys()


def demo_keys() -> set[str]:
    """Every ERP key of the demo workbook."""
    if not _DEMO_KEYS:
        from erpsync.connectors.workbook import WorkbookConnector
        from erpsync.paths import DEMO_DATA_DIR

        connector = WorkbookConnector({"path": str(DEMO_DATA_DIR)})
        for actor_type in connector.actor_types():
            _DEMO_KEYS.update(a.key for a in connector.search(actor_type, [], 0, 100_000).actors)
    return _DEMO_KEYS


_DEMO_KEYS: set[str] = set()
SETTING_VALUES = {name: [m.value for m in type(value)]
                  for name, value in vars(ImportSettings()).items()}


@FUZZ
@given(values=st.fixed_dictionaries({}, optional={
    name: st.one_of(st.sampled_from(choices), texts)
    for name, choices in SETTING_VALUES.items()}))
def test_import_settings(admin: TestClient, engine, fuzz_import: int, values) -> None:
    RUN["settings"] = RUN.get("settings", 0) + 1
    before = engine.get_settings(fuzz_import)
    response = admin.post(f"/erpsync/imports/{fuzz_import}/settings", data=values)
    _ok_page(response, values)
    valid = all(v.strip() == "" or v in SETTING_VALUES[k] for k, v in values.items())
    if valid and all(v == v.strip() for v in values.values()):
        assert response.status_code == 303, values
    elif not valid:
        assert response.status_code == 400, values
        assert engine.get_settings(fuzz_import) == before  # nothing saved
    ImportSettings.from_json(engine.get_settings(fuzz_import).to_json())  # still valid


@FUZZ
@given(fields=st.lists(st.tuples(st.sampled_from(["row", "checked", "action", "page",
                                                  "status", "confirm", "force", "staged"]),
                                 st.one_of(st.integers(-3, 2**64).map(str), texts)),
                       max_size=8),
       route=st.sampled_from(["checks", "unstage", "settings", "apply", "discard", "undo"]))
def test_import_forms(admin: TestClient, engine, fuzz_import: int, fields, route) -> None:
    if route in ("apply", "discard"):
        fields = [(k, v) for k, v in fields if k not in ("confirm",)]
    RUN["import forms"] = RUN.get("import forms", 0) + 1
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    if route in ("apply", "discard"):  # would end the import: checked on a copy instead
        response = admin.post(f"/erpsync/imports/{fuzz_import + 10_000}/{route}", data=data)
    else:
        response = admin.post(f"/erpsync/imports/{fuzz_import}/{route}", data=data)
    _ok_page(response, (route, data))
    assert engine.staged_count(fuzz_import) <= 3


@FUZZ
@given(tab=texts, enabled=texts, name=texts, connector=st.one_of(
    st.sampled_from(["workbook", "tryton", "remote"]), texts),
       extra=st.dictionaries(st.one_of(st.sampled_from(["cfg.path", "cfg.url", "cfg.token",
                                                        "scope", "active", "action"]), texts),
                             texts, max_size=4))
def test_host_forms(app, admin: TestClient, tab, enabled, name, connector, extra) -> None:
    RUN["host forms"] = RUN.get("host forms", 0) + 1
    token = admin.headers["X-CSRF-Token"]
    response = admin.post("/settings/quote-sync", data={"csrf_token": token, "tab": tab,
                                                       "erp_sync_enabled": enabled})
    _ok_page(response, (tab, enabled))
    from erpsync.host.settings import get_setting

    assert get_setting(app.state.db, "erp_sync_enabled") in (True, False)
    data = {**extra, "csrf_token": token, "name": name, "connector": connector}
    response = admin.post("/settings/connections/add", data=data)
    _ok_page(response, data)


def test_zz_record_the_fuzz_figures() -> None:
    """Runs last in this module (alphabetical order is pytest's file order)."""
    if not RUN:
        pytest.skip("the fuzz tests did not run in this session")
    record("security.fuzz.forms", examples=sum(RUN.values()), **{
        k.replace(" ", "_"): v for k, v in sorted(RUN.items())}, server_errors=0)
