"""The connector protocol as JSON over HTTP (version 1): the single source of
truth for the server (:mod:`erpsync.connector_server`), the client
(:mod:`erpsync.connectors.remote`) and the published OpenAPI document
(``erpsync connector openapi``, ``docs/connectors/remote-openapi.json``).

One endpoint per protocol method, under ``/v1``, every one behind
``Authorization: Bearer <token>``. Answers are JSON objects; a failure is an
``{"error": {...}}`` object (:data:`SCHEMAS` ``Error``) whose ``user_message``
is either one text or a text per language (``{"en": ..., "nl": ..., "no": ...}``).

This module only describes and converts; it does no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..i18n import SUPPORTED_LOCALES, LazyString, localize, use_locale
from .base import (
    ActorType,
    ErpActor,
    FieldAccess,
    FieldMeta,
    FieldType,
    ListItem,
    Operator,
    Restriction,
    SearchPage,
    TestResult,
)

VERSION = 1
PREFIX = f"/v{VERSION}"
#: Most actors per search or changed-since page, and keys per by-keys request.
MAX_LIMIT = 1000
MAX_KEYS = 1000
#: Most restrictions in one search, and values in one restriction.
MAX_RESTRICTIONS = 50
MAX_VALUES = 500

# ------------------------------------------------------------------ JSON Schemas

_NULLABLE_STRING = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, dict[str, Any]] = {
    "LocalizedText": {
        "description": "A text for people: one string, or one string per language code "
                       "(en, nl, no, ...). Clients show the admin's language, else en, "
                       "else the first one.",
        "oneOf": [
            {"type": "string"},
            {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1},
        ],
    },
    "ActorType": {"type": "string", "enum": [t.value for t in ActorType]},
    "FieldType": {"type": "string", "enum": [t.value for t in FieldType]},
    "FieldAccess": {"type": "string", "enum": [a.value for a in FieldAccess]},
    "Operator": {
        "type": "string", "enum": [o.value for o in Operator],
        "description": "Which operators a field accepts depends on its type: text =, begins, "
                       "contains, ends, notbegins, notcontains, notends, isnot, between; "
                       "integer/double =, >, <, >=, <=, !=, between; checkbox =; list oneof, "
                       "notoneof; datetime =, before, after, beforeOrEqual, afterOrEqual, "
                       "between. Text matching is case-insensitive.",
    },
    "Field": {
        "type": "object",
        "required": ["key", "display_name", "type", "access"],
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string", "minLength": 1,
                    "description": "Well-known keys (NAME, NUMBER1, VATNO, EMAIL, FIRSTNAME, "
                                   "...) map to CRM fields automatically."},
            "display_name": _ref("LocalizedText"),
            "type": _ref("FieldType"),
            "list_name": _NULLABLE_STRING,
            "max_length": {"type": ["integer", "null"], "minimum": 0},
            "access": _ref("FieldAccess"),
            "default": _NULLABLE_STRING,
            "help_text": {"oneOf": [_ref("LocalizedText"), {"type": "null"}]},
        },
    },
    "FieldList": {
        "type": "object", "required": ["fields"], "additionalProperties": False,
        "properties": {"fields": {"type": "array", "items": _ref("Field")}},
    },
    "FieldValue": {
        "description": "A field value: text, number, checkbox (boolean), list item key, "
                       "or a date-time as ISO 8601 text.",
        "type": ["string", "number", "boolean", "null"],
    },
    "Actor": {
        "type": "object",
        "required": ["actor_type", "key", "fields"],
        "additionalProperties": False,
        "properties": {
            "actor_type": _ref("ActorType"),
            "key": {"type": "string", "minLength": 1,
                    "description": "The ERP's stable key of the actor."},
            "fields": {"type": "object", "additionalProperties": _ref("FieldValue")},
            "last_modified": {"type": ["string", "null"], "format": "date-time"},
            "parent_type": {"oneOf": [_ref("ActorType"), {"type": "null"}],
                            "description": "A person's company: its actor type ..."},
            "parent_key": {"type": ["string", "null"], "description": "... and its key."},
        },
    },
    "ActorList": {
        "type": "object", "required": ["actors"], "additionalProperties": False,
        "properties": {"actors": {"type": "array", "items": _ref("Actor")}},
    },
    "Restriction": {
        "type": "object",
        "required": ["field", "operator", "values"],
        "additionalProperties": False,
        "properties": {
            "field": {"type": "string", "minLength": 1},
            "operator": _ref("Operator"),
            "values": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_VALUES,
                       "description": "Two values for between, one or more for oneof and "
                                      "notoneof, one otherwise."},
        },
    },
    "SearchRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "restrictions": {"type": "array", "items": _ref("Restriction"),
                             "maxItems": MAX_RESTRICTIONS,
                             "description": "AND-ed; none means every actor of the type."},
            "offset": {"type": "integer", "minimum": 0, "default": 0},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
        },
    },
    "SearchPage": {
        "type": "object",
        "required": ["actors", "total", "offset", "limit"],
        "additionalProperties": False,
        "properties": {
            "actors": {"type": "array", "items": _ref("Actor")},
            "total": {"type": ["integer", "null"], "minimum": 0,
                      "description": "All matches; null when the ERP cannot count."},
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1},
        },
    },
    "KeysRequest": {
        "type": "object", "required": ["keys"], "additionalProperties": False,
        "properties": {"keys": {"type": "array", "items": {"type": "string"},
                                "maxItems": MAX_KEYS}},
    },
    "ChangedPage": {
        "type": "object",
        "required": ["actors", "offset", "limit", "more"],
        "additionalProperties": False,
        "properties": {
            "actors": {"type": "array", "items": _ref("Actor")},
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1},
            "more": {"type": "boolean", "description": "Whether a next page exists."},
        },
    },
    "ActorTypeList": {
        "type": "object", "required": ["actor_types"], "additionalProperties": False,
        "properties": {"actor_types": {"type": "array", "items": _ref("ActorType")}},
    },
    "ListItem": {
        "type": "object", "required": ["key", "name"], "additionalProperties": False,
        "properties": {"key": {"type": "string"}, "name": _ref("LocalizedText")},
    },
    "ListItemList": {
        "type": "object", "required": ["items"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": _ref("ListItem")}},
    },
    "TestResult": {
        "type": "object", "required": ["ok", "message"], "additionalProperties": False,
        "properties": {
            "ok": {"type": "boolean"},
            "message": _ref("LocalizedText"),
            "technical": {"type": "string"},
        },
    },
    "ServiceInfo": {
        "type": "object",
        "required": ["protocol", "version", "connector"],
        "additionalProperties": False,
        "properties": {
            "protocol": {"const": "erpsync-connector"},
            "version": {"type": "integer", "const": VERSION},
            "connector": {
                "type": "object", "required": ["name", "display_name"],
                "additionalProperties": False,
                "properties": {"name": {"type": "string"},
                               "display_name": _ref("LocalizedText")},
            },
            "server": {"type": "string", "description": "Software serving the protocol."},
        },
    },
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object",
            "required": ["code", "user_message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "enum": [
                    "unauthorized", "bad_request", "not_found", "method_not_allowed",
                    "connector_error", "internal_error"]},
                "user_message": _ref("LocalizedText"),
                "technical": {"type": "string",
                              "description": "For logs and a details disclosure."},
                "severity": {"type": "string", "enum": ["ok", "warning", "error"]},
            },
        }},
    },
}

# ------------------------------------------------------------------ endpoints


@dataclass(frozen=True)
class Param:
    """A path or query parameter of an endpoint."""

    name: str
    location: str  # "path" | "query"
    schema: dict[str, Any]
    description: str
    required: bool = True


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: which protocol method it serves and its JSON shapes."""

    operation: str  # operationId, also the server's handler name
    method: str
    path: str  # relative to PREFIX
    summary: str
    response: str  # schema name of the 200 answer
    request: str | None = None  # schema name of the JSON body
    params: tuple[Param, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def full_path(self) -> str:
        return PREFIX + self.path


_ACTOR_TYPE = Param("actor_type", "path", _ref("ActorType"), "customer, supplier or person.")

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("service_info", "GET", "/", "Protocol version and connector",
             "ServiceInfo",
             description="What this service is: the protocol version and the connector "
                         "behind it."),
    Endpoint("config_fields", "GET", "/config-fields",
             "Configuration fields of the connector", "FieldList",
             description="The fields of the served connector's own configuration (as the "
                         "service was started with; informational)."),
    Endpoint("test", "POST", "/test", "Test the connection", "TestResult",
             description="Checks that the ERP is reachable and the credentials work. A "
                         "failed check is a 200 answer with ok=false, not an error."),
    Endpoint("actor_types", "GET", "/actor-types", "Supported actor types",
             "ActorTypeList"),
    Endpoint("fields", "GET", "/actor-types/{actor_type}/fields",
             "All fields of an actor type", "FieldList", params=(_ACTOR_TYPE,)),
    Endpoint("searchable_fields", "GET", "/actor-types/{actor_type}/searchable-fields",
             "Fields usable in search restrictions", "FieldList", params=(_ACTOR_TYPE,)),
    Endpoint("search", "POST", "/actor-types/{actor_type}/search",
             "Search with restrictions, one page", "SearchPage", request="SearchRequest",
             params=(_ACTOR_TYPE,),
             description="Actors matching every restriction (AND), ordered stably (the "
                         "same request gives the same order), one page at offset/limit."),
    Endpoint("get_actors", "POST", "/actor-types/{actor_type}/by-keys",
             "Actors by ERP key", "ActorList", request="KeysRequest",
             params=(_ACTOR_TYPE,),
             description="Actors in the order of the keys asked; unknown keys are left out."),
    Endpoint("changed_since", "GET", "/actor-types/{actor_type}/changed-since",
             "Actors changed after a moment, one page", "ChangedPage",
             params=(_ACTOR_TYPE,
                     Param("since", "query", {"type": "string", "format": "date-time"},
                           "ISO 8601 date and time; without a time zone it is UTC."),
                     Param("offset", "query", {"type": "integer", "minimum": 0, "default": 0},
                           "Actors to skip.", required=False),
                     Param("limit", "query",
                           {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                            "default": 500}, "Actors per page.", required=False))),
    Endpoint("list_items", "GET", "/lists/{list_name}/items", "Values of a list field",
             "ListItemList",
             params=(Param("list_name", "path", {"type": "string"},
                           "The list_name of a list field."),)),
)

#: HTTP status and meaning of each error answer, for the OpenAPI document.
ERROR_RESPONSES = {
    "400": "The request is not valid (malformed JSON, bad parameter).",
    "401": "Missing or wrong bearer token.",
    "404": "Unknown path or actor type.",
    "422": "The connector reported an error (ERP unreachable, bad restriction, ...).",
    "500": "The service failed unexpectedly.",
}


def openapi_document() -> dict[str, Any]:
    """The protocol as an OpenAPI 3.1 document, generated from :data:`ENDPOINTS`
    and :data:`SCHEMAS` (``erpsync connector openapi``)."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        operation: dict[str, Any] = {
            "operationId": endpoint.operation,
            "summary": endpoint.summary,
            "responses": {
                "200": {"description": "OK", "content": {
                    "application/json": {"schema": _ref(endpoint.response)}}},
                **{status: {"description": text, "content": {
                    "application/json": {"schema": _ref("Error")}}}
                   for status, text in ERROR_RESPONSES.items()},
            },
        }
        if endpoint.description:
            operation["description"] = endpoint.description
        if endpoint.params:
            operation["parameters"] = [
                {"name": p.name, "in": p.location, "required": p.required,
                 "description": p.description, "schema": p.schema} for p in endpoint.params]
        if endpoint.request:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _ref(endpoint.request)}}}
        paths.setdefault(endpoint.full_path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "erpsync connector protocol",
            "version": f"{VERSION}.0",
            "description": (
                "An ERP connector as JSON over HTTP, so that a connector written in any "
                "language plugs into erpsync (connector name \"remote\"). Every request "
                "carries Authorization: Bearer <token>. Failures are answered with an "
                "Error object and a 4xx/5xx status; clients retry only when the service "
                "cannot be reached or answers 503. See docs/connectors/remote.md. "
                "Generated from the code by: erpsync connector openapi."),
        },
        "servers": [{"url": "http://127.0.0.1:8765", "description": "erpsync connector serve"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


# ------------------------------------------------------------------ encoding


def localized(value: Any) -> Any:
    """A text for the wire: a :class:`LazyString` becomes one text per
    supported language; dicts and plain strings pass; None stays None."""
    if value is None:
        return None
    if isinstance(value, LazyString):
        texts = {}
        for locale in SUPPORTED_LOCALES:
            with use_locale(locale):
                texts[locale] = str(value)
        return texts
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()} or ""
    return str(value)


def from_localized(value: Any) -> Any:
    """A text from the wire, shown later in the admin's language."""
    if isinstance(value, Mapping):
        texts = {str(k): str(v) for k, v in value.items()}
        return LazyString(localize, texts)
    return "" if value is None else str(value)


def field_value(value: Any) -> Any:
    """A field value as JSON: dates as ISO text, decimals as numbers."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def encode_field(meta: FieldMeta) -> dict[str, Any]:
    return {"key": meta.key, "display_name": localized(meta.display_name) or meta.key,
            "type": meta.type.value, "list_name": meta.list_name,
            "max_length": meta.max_length, "access": meta.access.value,
            "default": meta.default, "help_text": localized(meta.help_text)}


def decode_field(data: Mapping[str, Any]) -> FieldMeta:
    """Raises KeyError/ValueError/TypeError for a malformed field."""
    key = data["key"]
    if not isinstance(key, str) or not key:
        raise ValueError(f"field key {key!r}")
    max_length = data.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 0):
        raise ValueError(f"max_length {max_length!r}")
    return FieldMeta(
        key=key, display_name=from_localized(data.get("display_name")) or key,
        type=FieldType(data.get("type", "text")), list_name=data.get("list_name"),
        max_length=max_length, access=FieldAccess(data.get("access", "normal")),
        default=data.get("default"),
        help_text=(from_localized(data["help_text"]) if data.get("help_text") else None))


def encode_actor(actor: ErpActor) -> dict[str, Any]:
    return {
        "actor_type": ActorType(actor.actor_type).value,
        "key": str(actor.key),
        "fields": {str(k): field_value(v) for k, v in actor.fields.items()},
        "last_modified": _iso(actor.last_modified),
        "parent_type": ActorType(actor.parent_type).value if actor.parent_type else None,
        "parent_key": str(actor.parent_key) if actor.parent_key not in (None, "") else None,
    }


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


def parse_moment(text: Any) -> dt.datetime:
    """An aware datetime from ISO 8601 text (naive means UTC). Raises ValueError."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"not a date-time: {text!r}")
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def decode_actor(data: Mapping[str, Any]) -> ErpActor:
    """Raises KeyError/ValueError/TypeError for a malformed actor."""
    key = data["key"]
    if not isinstance(key, str | int) or isinstance(key, bool) or str(key) == "":
        raise ValueError(f"actor key {key!r}")
    fields = data.get("fields") or {}
    if not isinstance(fields, Mapping):
        raise TypeError("fields is not an object")
    for name, value in fields.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise TypeError(f"field {name!r} holds a {type(value).__name__}")
    modified = data.get("last_modified")
    parent_type = data.get("parent_type")
    parent_key = data.get("parent_key")
    return ErpActor(
        actor_type=ActorType(data["actor_type"]), key=str(key), fields=dict(fields),
        last_modified=parse_moment(modified) if modified else None,
        parent_type=ActorType(parent_type) if parent_type else None,
        parent_key=str(parent_key) if parent_key not in (None, "") else None)


def encode_restriction(restriction: Restriction) -> dict[str, Any]:
    # An operator that is not an Operator is sent as it is: the connector reports it.
    operator = restriction.operator
    return {"field": restriction.field, "operator": getattr(operator, "value", str(operator)),
            "values": ["" if v is None else str(v) for v in restriction.values]}


def decode_restriction(data: Any) -> Restriction:
    """Raises ValueError/TypeError/KeyError for a malformed restriction. An
    unknown operator is kept as text: the connector reports it, localized."""
    if not isinstance(data, Mapping):
        raise TypeError("a restriction is not an object")
    name, operator, values = data["field"], data["operator"], data.get("values", [])
    if not isinstance(name, str) or not isinstance(operator, str):
        raise TypeError("field and operator must be text")
    if not isinstance(values, list) or len(values) > MAX_VALUES:
        raise TypeError(f"values must be a list of at most {MAX_VALUES} texts")
    if any(isinstance(v, Mapping | list) for v in values):
        raise TypeError("values must be texts")
    try:
        op: Any = Operator(operator)
    except ValueError:
        op = operator
    return Restriction(name, op, tuple("" if v is None else str(v) for v in values))


def encode_page(page: SearchPage) -> dict[str, Any]:
    return {"actors": [encode_actor(a) for a in page.actors], "total": page.total,
            "offset": page.offset, "limit": page.limit}


def encode_item(item: ListItem) -> dict[str, Any]:
    return {"key": str(item.key), "name": localized(item.name) or str(item.key)}


def decode_item(data: Mapping[str, Any]) -> ListItem:
    key = data["key"]
    if not isinstance(key, str | int) or isinstance(key, bool):
        raise ValueError(f"list item key {key!r}")
    return ListItem(key=str(key), name=from_localized(data.get("name")) or str(key))


def encode_test(result: TestResult) -> dict[str, Any]:
    return {"ok": bool(result.ok), "message": localized(result.message) or "",
            "technical": str(result.technical or "")}


def error_body(code: str, user_message: Any, technical: str = "",
               severity: str = "error") -> dict[str, Any]:
    """An ``Error`` answer."""
    return {"error": {"code": code, "user_message": localized(user_message) or code,
                      "technical": technical, "severity": severity}}
