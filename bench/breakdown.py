"""Where erpsync's time goes: CPU seconds per engine step of one import.

    .venv/bin/python bench/contestant_erpsync.py run --db ... --csv ... --rows N --breakdown

:func:`install` wraps the engine's step functions (module attributes, so the
callers pick the wrappers up) with CPU-time counters; :func:`report` prints
them. CPU time, not wall time: the SQLite work runs inside the process and is
counted, and a busy machine disturbs it less. (PostgreSQL's work happens in
its server process and is not counted.)
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Callable
from typing import Any

#: module -> the functions timed (nested calls are counted in both).
STEPS: dict[str, tuple[str, ...]] = {
    "erpsync.engine.staging": ("prepare_row", "insert_rows"),
    "erpsync.engine.preview": ("fill_missing_keys", "_reset_and_link",
                               "_match_and_decide", "_resolve_person_companies",
                               "apply_no_company_rule"),
    "erpsync.engine.apply": ("_save_before_images", "_assign_ids", "_ensure_list_items",
                             "_insert_companies", "_update_companies",
                             "_companies_from_persons", "_insert_persons", "_update_persons",
                             "_write_communications",
                             "_refresh_missing_keys", "_upsert_links", "_counts"),
    "erpsync.engine.api": ("backup_database", "classify", "apply_rows"),
    "erpsync.engine.selections": ("create_import_selections",),
}

_totals: dict[str, list[float]] = {}


def _wrap(module: Any, name: str) -> None:
    original: Callable[..., Any] = getattr(module, name)
    label = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            total = _totals.setdefault(label, [0, 0.0])
            total[0] += 1
            total[1] += time.process_time() - start

    setattr(module, name, timed)


def install() -> None:
    """Time the steps of :data:`STEPS` (a step the engine no longer has is skipped)."""
    for module_name, names in STEPS.items():
        module = importlib.import_module(module_name)
        for name in names:
            if callable(getattr(module, name, None)):
                _wrap(module, name)


def report(stream: Any = sys.stderr, minimum: float = 0.01) -> None:
    """The timed steps, most expensive first."""
    print("CPU s     calls  step", file=stream)
    for label, (calls, seconds) in sorted(_totals.items(), key=lambda kv: -kv[1][1]):
        if seconds >= minimum:
            print(f"{seconds:7.2f} {int(calls):8d}  {label}", file=stream)
