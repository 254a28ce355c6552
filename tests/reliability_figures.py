"""The figures of docs/reliability.md, recorded by the tests that measure them.

A security, reliability or load test calls :func:`record` with what it checked
(routes, malicious inputs, fuzz examples, faults, requests and their timings).
The values are merged into ``build/reliability/figures.json`` (one entry per
name, the last run wins), so ``make test-all`` leaves a complete set that
docs/reliability.md quotes. :func:`summary` prints them as a Markdown table.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Where the figures go (``ERPSYNC_FIGURES`` overrides it).
FIGURES_FILE = Path(os.environ.get("ERPSYNC_FIGURES")
                    or REPO_ROOT / "build" / "reliability" / "figures.json")


def load() -> dict[str, dict[str, Any]]:
    """Every recorded entry, by name."""
    try:
        return json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record(name: str, **values: Any) -> dict[str, Any]:
    """Store ``values`` under ``name`` (replacing an earlier run's) and return them."""
    figures = load()
    figures[name] = values
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=FIGURES_FILE.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(figures, out, indent=2, sort_keys=True, default=str)
    os.replace(tmp, FIGURES_FILE)
    print(f"[figures] {name}: {json.dumps(values, sort_keys=True, default=str)}")
    return values


def summary() -> str:
    """The recorded figures as a Markdown table (name, figures)."""
    lines = ["| test | figures |", "|---|---|"]
    for name, values in sorted(load().items()):
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(values.items()))
        lines.append(f"| {name} | {shown} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/reliability_figures.py
    print(summary())
