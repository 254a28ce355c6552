"""Request helpers of the reference host: rendering, access control, CSRF, flash."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import i18n, security
from ..app import CurrentUser
from .urls import url_for

Endpoint = Callable[[Request], Awaitable[Response]]


def erpsync_of(request: Request) -> Any:
    """The :class:`erpsync.app.ErpSync` of the application serving ``request``."""
    return request.app.state.erpsync


def user_of(request: Request) -> CurrentUser | None:
    return erpsync_of(request).current_user(request)


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render ``template`` in the request's language with the host's page context."""
    erpsync = erpsync_of(request)
    locale = getattr(request.state, "locale", None) or i18n.get_locale()
    html = erpsync.renderer.render(template, locale=locale, request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers={"Content-Language": locale})


def redirect(url: str) -> RedirectResponse:
    """See-other redirect (after a POST the browser follows with GET)."""
    return RedirectResponse(url, status_code=303)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"{url_for('login')}?{urlencode({'next': target})}")


def admin_required(endpoint: Endpoint) -> Endpoint:
    """Only users with the *Settings and maintenance* right get through:
    anonymous users go to the login page, others get a 403 page. A
    state-changing request must also come from this site and carry the
    session's CSRF token (403 otherwise), before the page looks at anything."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return login_redirect(request)
        if not user.may_admin:
            return render(request, "host/forbidden.html", status_code=403)
        if request.method not in security.SAFE_METHODS:
            if not security.same_origin(request):
                return render(request, "host/error.html", status_code=403,
                              message=security.CROSS_SITE)
            if not csrf_ok(request, await request.form()):
                return csrf_failed(request)
        return await endpoint(request)

    return wrapper


# ------------------------------------------------------------------ CSRF


def csrf_token(request: Request) -> str:
    """The session's anti-forgery token (created on first use); forms post it
    as ``csrf_token``. The same token protects erpsync's dialogs
    (:func:`erpsync.security.session_csrf_token`)."""
    return security.session_csrf_token(request) or ""


def csrf_ok(request: Request, form: Any) -> bool:
    """Whether the posted form carries the session's token."""
    return security.csrf_matches(request.session.get(security.CSRF_FIELD),
                                 form.get(security.CSRF_FIELD))


CSRF_FAILED = security.CSRF_FAILED


def csrf_failed(request: Request) -> HTMLResponse:
    """The 403 page of a form without the session's token."""
    return render(request, "host/error.html", status_code=403, message=CSRF_FAILED)


def bad_request(request: Request, message: Any) -> HTMLResponse:
    return render(request, "host/error.html", status_code=400, message=message)


# ------------------------------------------------------------------ flash


def flash(request: Request, code: str, **params: Any) -> None:
    """Remember a message for the next page; stored as a code (the text is
    looked up in :data:`FLASH_MESSAGES` when shown, in the language of that page)."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], {"code": code, **params}]


def pop_flashes(request: Request) -> list[str]:
    """The remembered messages, localized, forgotten once shown."""
    if "session" not in request.scope:
        return []
    items = request.session.pop("flash", [])
    messages = []
    for item in items:
        params = dict(item)
        factory = FLASH_MESSAGES.get(params.pop("code", ""))
        if factory is not None:
            messages.append(factory(**params))
    return messages


def _saved(**_: Any) -> str:
    return i18n.gettext("Your changes have been saved.")


def _deleted(num: int = 0, **_: Any) -> str:
    # Translators: %(num)s is how many companies and persons were deleted.
    return i18n.ngettext("%(num)s actor was deleted.", "%(num)s actors were deleted.", num)


def _logged_out(**_: Any) -> str:
    return i18n.gettext("You have been logged out.")


FLASH_MESSAGES: dict[str, Callable[..., str]] = {
    "saved": _saved,
    "deleted": _deleted,
    "logged_out": _logged_out,
}
