"""Structured logs: one JSON object per line.

* :class:`JsonFormatter` turns any log record into one line: ``ts``, ``level``,
  ``logger``, ``message``, the record's ``extra`` fields and ``exc`` (the
  traceback) when there is one.
* :class:`RequestLogMiddleware` writes one line per HTTP request to the
  ``erpsync.request`` logger: method, path (never the query string or the body:
  they may hold search criteria or passwords), status, duration, response
  size, client address, user id and a request id (``X-Request-ID`` when the
  client sent a sane one, else a new one, echoed in the response).
* :func:`log_import_step` writes one line per step of an import to the
  ``erpsync.import`` logger, always with the ``import_id``.
* :func:`configure_logging` installs it (``erpsync serve`` does; the format is
  ``ERPSYNC_LOG_FORMAT``: ``json``, the default, or ``text``), and
  :func:`uvicorn_log_config` gives uvicorn the same handlers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG_FORMAT_ENV = "ERPSYNC_LOG_FORMAT"
REQUEST_LOGGER = "erpsync.request"
IMPORT_LOGGER = "erpsync.import"
#: Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_format() -> str:
    """``json`` (default) or ``text``, from ``ERPSYNC_LOG_FORMAT``."""
    value = os.environ.get(LOG_FORMAT_ENV, "json").strip().lower()
    return value if value in ("json", "text") else "json"


def make_formatter(fmt: str | None = None) -> logging.Formatter:
    if (fmt or log_format()) == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    return JsonFormatter()


def configure_logging(fmt: str | None = None, level: int | str = logging.INFO,
                      stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record (root logger) to ``stream`` (stderr) as JSON lines
    or text; returns the handler installed (replacing one installed before)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_erpsync", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(fmt))
    handler._erpsync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def uvicorn_log_config(fmt: str | None = None) -> dict[str, Any]:
    """A ``log_config`` for uvicorn: its own messages in our format, its access
    log off (:class:`RequestLogMiddleware` writes richer lines)."""
    formatter = ({"()": "logging.Formatter",
                  "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
                 if (fmt or log_format()) == "text"
                 else {"()": "erpsync.logging_setup.JsonFormatter"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"erpsync": formatter},
        "handlers": {"erpsync": {"class": "logging.StreamHandler", "formatter": "erpsync",
                                 "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["erpsync"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def log_import_step(import_id: int, step: str, level: int = logging.INFO,
                    **fields: Any) -> None:
    """One structured line for a step of import ``import_id`` (``stage``,
    ``preview``, ``apply``, ``done``, ``failed``...), with ``fields`` (counts,
    duration) alongside."""
    logging.getLogger(IMPORT_LOGGER).log(
        level, "import %s: %s", import_id, step,
        extra={"import_id": import_id, "step": step, **fields})


class RequestLogMiddleware:
    """One log line per HTTP request (see the module docstring). Put it outside
    the session middleware so that it times everything; it reads the user id
    from the session the inner middleware put on the scope."""

    def __init__(self, app: ASGIApp, logger: str = REQUEST_LOGGER) -> None:
        self.app = app
        self.log = logging.getLogger(logger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = {"status": 500, "bytes": 0}
        request_id = _request_id(scope)

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            status = sent["status"]
            session = scope.get("session") or {}
            client = scope.get("client")
            self.log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %s", scope.get("method"), scope.get("path"), status,
                extra={"request_id": request_id, "method": scope.get("method"),
                       "path": scope.get("path"), "status": status,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                       "bytes": sent["bytes"], "client": client[0] if client else None,
                       "user_id": session.get("user_id") if isinstance(session, dict) else None})


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex
