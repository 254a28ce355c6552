"""Helpers of the wizard's HTTP tests: following an import job to its result, and
the page helpers of tests/demo_host.py."""

from __future__ import annotations

from starlette.testclient import TestClient

# The page helpers live in tests/demo_host.py; the wizard's tests import them from here.
from demo_host import form, location, login, text_of, values_of

__all__ = ["follow_to_result", "form", "location", "login", "text_of", "values_of"]


def follow_to_result(client: TestClient, url: str, timeout: float = 60.0) -> str:
    """The result URL of an import job: follows its progress page (which
    answers 200 while the job runs and redirects once it is finished)."""
    import time

    deadline = time.monotonic() + timeout
    while "/result" not in url:
        response = client.get(url)
        if response.status_code == 303:
            url = response.headers["location"]
            continue
        assert response.status_code == 200, text_of(response.text)[:500]
        assert '/retry"' not in response.text, "the import failed: " + text_of(response.text)
        assert time.monotonic() < deadline, "the import did not finish in time"
        time.sleep(0.05)
    return url
