"""Sending an HTTP request to an ERP service with retries, for the connectors
that speak HTTP (Tryton, the remote connector).

Only what cannot have reached the service is retried: a refused connection
(or a connect timeout) and the statuses the caller names (503: "try again").
The waits grow exponentially from ``backoff``; a ``Retry-After`` of a few
seconds is honoured. Other transport failures become a :class:`ConnectorError`
with the caller's words at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import httpx

from ..i18n import LazyString, lazy_gettext
from .base import ConnectorError, FieldMeta, FieldType

log = logging.getLogger(__name__)

#: The longest ``Retry-After`` honoured (seconds): a longer one fails sooner.
MAX_RETRY_AFTER = 5.0


def transport_fields() -> list[FieldMeta]:
    """The ``timeout`` and ``retries`` fields of an HTTP connector's configuration."""
    return [
        FieldMeta("timeout", lazy_gettext("Timeout (seconds)"), FieldType.INTEGER,
                  default="30"),
        FieldMeta("retries", lazy_gettext("Retries"), FieldType.INTEGER, default="2"),
    ]


@dataclass(frozen=True)
class TransportMessages:
    """What to tell the admin when the service cannot be reached, does not
    answer in time, or the connection fails otherwise."""

    unreachable: LazyString
    timeout: LazyString
    failed: LazyString


def send_with_retries(send: Callable[[], httpx.Response], *, retries: int, backoff: float,
                      retry_statuses: Collection[int], messages: TransportMessages,
                      where: str) -> httpx.Response:
    """``send()`` until it gets an answer that is not a retry status, at most
    ``retries`` extra times; returns the last answer (a retry status too, when
    the retries are used up). ``where`` names the request in technical details."""
    attempt = 0
    while True:
        try:
            response = send()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if attempt < retries:
                _wait(attempt, backoff, None, where)
                attempt += 1
                continue
            raise ConnectorError(messages.unreachable, f"{where}: {type(exc).__name__}: {exc} "
                                                       f"(after {attempt + 1} attempts)") from exc
        except httpx.TimeoutException as exc:
            raise ConnectorError(messages.timeout, f"{where}: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(messages.failed,
                                 f"{where}: {type(exc).__name__}: {exc}") from exc
        if response.status_code in retry_statuses and attempt < retries:
            _wait(attempt, backoff, response.headers.get("Retry-After"), where)
            attempt += 1
            continue
        return response


def _wait(attempt: int, backoff: float, retry_after: str | None, where: str) -> None:
    delay = backoff * 2 ** attempt
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    log.info("%s: service unavailable; retrying in %.2f s", where, delay)
    time.sleep(delay)
