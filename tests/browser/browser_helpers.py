"""Helpers of the browser tests: a uvicorn server in a thread, login."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """An ASGI app served by uvicorn in a background thread on 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-host", daemon=True)

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the host did not start on {self.url}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


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
