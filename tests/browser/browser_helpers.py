"""Helpers of the browser tests: logging in through the form (the server: tests/live_host.py)."""

from __future__ import annotations

from typing import Any

#: The login form's labels per language: (username, password, button).
LOGIN_LABELS = {
    "en": ("Username", "Password", "Log in"),
    "nl": ("Gebruikersnaam", "Wachtwoord", "Aanmelden"),
    "no": ("Brukernavn", "Passord", "Logg på"),
}


def login(page: Any, username: str = "admin", password: str = "admin",
          lang: str | None = None) -> None:
    """Log in through the host's login form; ``lang`` first switches the host's
    language with ``?lang=`` (kept by the session after login)."""
    page.goto(f"/login?lang={lang}" if lang else "/login")
    user_label, password_label, button = LOGIN_LABELS[lang or "en"]
    page.get_by_label(user_label).fill(username)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/settings")
