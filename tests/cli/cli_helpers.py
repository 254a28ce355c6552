"""Assertions shared by the command-line tests."""

from __future__ import annotations

from click.testing import Result


def assert_clean_error(result: Result, code: int, *fragments: str) -> None:
    """Exit ``code`` with one line on stderr that contains every fragment, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert lines, "nothing on stderr"
    message = lines[-1]
    for fragment in fragments:
        assert fragment in message, (fragment, message)
