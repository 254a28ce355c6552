"""What every dialog needs: the admin check, the request's locale, errors shown
as localized pages, blocking work off the event loop, and server-side paging."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..i18n import gettext, lazy_gettext, use_locale
from ..security import CROSS_SITE, CSRF_FAILED, SAFE_METHODS, same_origin

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

log = logging.getLogger(__name__)

#: A dialog view: gets the ErpSync object, the request and the admin user.
View = Callable[["ErpSync", Request, "CurrentUser"], Awaitable[Response]]

#: Upper bound of page numbers and ids taken from a request.
MAX_PAGE = 1_000_000


class DialogError(Exception):
    """Stops a view: the admin sees ``message`` (localized) on an error page
    with ``status_code``; ``technical`` goes into a "Technical details" disclosure."""

    def __init__(self, status_code: int, message: Any, technical: str = "", *,
                 title: Any = None, back_url: str | None = None,
                 back_label: Any = None) -> None:
        super().__init__(str(technical or message))
        self.status_code = status_code
        self.message = message
        self.technical = technical
        self.title = title
        self.back_url = back_url
        self.back_label = back_label


def admin_route(erpsync: ErpSync, path: str, view: View, *, name: str,
                methods: Sequence[str] = ("GET",)) -> Route:
    """A route whose view runs only for a logged-in admin (the *Settings and
    maintenance* right), in the admin's locale, with :class:`DialogError`
    turned into a localized error page."""

    async def endpoint(request: Request) -> Response:
        return await guarded(erpsync, request, view)

    endpoint.__name__ = name
    return Route(path, endpoint, methods=list(methods), name=name)


async def guarded(erpsync: ErpSync, request: Request, view: View) -> Response:
    """Run ``view`` for an admin; anonymous users go to the host's login page
    (401 when the host has none), other users get 403."""
    with use_locale(erpsync.locale_for(request)):
        user = erpsync.current_user(request)
        if user is None:
            return login_required(erpsync, request)
        if not user.may_admin:
            return error_page(erpsync, request, 403, lazy_gettext(
                "You need the Settings and maintenance right to import actors."),
                title=lazy_gettext("Access denied"))
        if request.method not in SAFE_METHODS:
            # Two layers: the browser's Origin, then the session's token.
            if not same_origin(request):
                return error_page(erpsync, request, 403, CROSS_SITE,
                                  title=lazy_gettext("Access denied"))
            if not await erpsync.csrf_ok(request):
                return error_page(erpsync, request, 403, CSRF_FAILED,
                                  title=lazy_gettext("Access denied"))
        try:
            return await view(erpsync, request, user)
        except DialogError as exc:
            return error_page(erpsync, request, exc.status_code, exc.message, exc.technical,
                              title=exc.title, back_url=exc.back_url,
                              back_label=exc.back_label)


def login_required(erpsync: ErpSync, request: Request) -> Response:
    """Redirect to the host's login page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = erpsync.host_url("login", next=target)
    if login:
        return RedirectResponse(login, status_code=303)
    return error_page(erpsync, request, 401, lazy_gettext("Log in to continue."),
                      title=lazy_gettext("Login required"))


def error_page(erpsync: ErpSync, request: Request, status_code: int, message: Any,
               technical: str = "", *, title: Any = None, back_url: str | None = None,
               back_label: Any = None) -> Response:
    """A localized error page (the admin's locale must be active)."""
    return erpsync.render(
        request, "erpsync/error.html", status_code=status_code,
        title=title or gettext("Something went wrong"), message=message,
        technical=technical, back_url=back_url, back_label=back_label)


async def run_blocking(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run database or ERP work in the thread pool, off the event loop."""
    return await run_in_threadpool(func, *args, **kwargs)


def redirect(url: str) -> RedirectResponse:
    """POST-redirect-GET."""
    return RedirectResponse(url, status_code=303)


def int_param(value: Any, default: int | None = None, *, minimum: int = 1,
              maximum: int = MAX_PAGE) -> int | None:
    """An integer from a query/form value, or ``default`` if absent or invalid."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if minimum <= number <= maximum else default


def id_list(values: Sequence[Any]) -> list[int]:
    """Row ids from repeated form values; anything not an id is dropped."""
    ids = (int_param(v, None, maximum=2**62) for v in values)
    return sorted({i for i in ids if i is not None})


@dataclass
class Pager:
    """Server-side paging. ``total`` may be None when the source cannot count;
    then there is a next page as long as the current one is full."""

    page: int
    size: int
    total: int | None
    shown: int = 0

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        if self.total is None:
            return self.shown >= self.size
        return self.page < (self.pages or 1)

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.shown else 0

    @property
    def last_row(self) -> int:
        return self.offset + self.shown
