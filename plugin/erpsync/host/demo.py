"""Demo setup of the reference host: users, the "Demo ERP" workbook connection,
and CRM companies that overlap the demo ERP data (so the preview shows updates).

    info = ensure_demo(app, data_dir)      # idempotent
    # or: python -m erpsync.host.demo [--port 8000]
"""

from __future__ import annotations

import argparse
import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from ..engine.schema import company
from ..i18n import gettext
from ..paths import DEMO_DATA_DIR
from . import settings as host_settings
from . import users

log = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
VIEWER_USERNAME = "viewer"
VIEWER_PASSWORD = "viewer"
DEMO_CONNECTION = "Demo ERP"
#: How many ERP customers also exist in the demo CRM (found as duplicates by the preview).
OVERLAPPING_COMPANIES = 3


@dataclass
class DemoInfo:
    """Where to start and how to log in. ``password`` is None when the demo
    admin already existed with a password changed since."""

    url_path: str
    username: str
    password: str | None
    viewer_username: str = VIEWER_USERNAME
    viewer_password: str | None = VIEWER_PASSWORD
    connection_created: bool = False
    companies_created: int = 0

    def describe(self, base_url: str = "") -> str:
        """What to tell the person starting the demo (localized)."""
        lines = [
            # Translators: %(url)s is the address of the demo's Import screen.
            gettext("Open %(url)s", url=base_url + self.url_path),
            # Translators: %(user)s and %(password)s are the demo administrator's login.
            gettext("Administrator: %(user)s / %(password)s", user=self.username,
                    password=self.password or gettext("(password unchanged)")),
            # Translators: %(user)s and %(password)s are the login of a user without
            # the Settings and maintenance right.
            gettext("User without the Settings and maintenance right: %(user)s / %(password)s",
                    user=self.viewer_username,
                    password=self.viewer_password or gettext("(password unchanged)")),
        ]
        return "\n".join(lines)


def ensure_demo(app_or_db: Any, data_dir: Path | None = None,
                echo: Callable[[str], None] | None = print) -> DemoInfo:
    """Make the database a ready-to-try demo (safe to run again).

    ``app_or_db`` is the host application (from :func:`erpsync.host.app.create_app`)
    or a SQLAlchemy engine with the schema in place. ``data_dir`` (default: the
    app's) gets the ``backups`` folder the first import writes to. ``echo``
    receives the login details (None: stay silent).
    """
    db: Engine = app_or_db.state.db if hasattr(app_or_db, "state") else app_or_db
    if data_dir is None and hasattr(app_or_db, "state"):
        data_dir = getattr(app_or_db.state, "data_dir", None)
    if data_dir is not None:
        (Path(data_dir) / "backups").mkdir(parents=True, exist_ok=True)
    admin_password = _ensure_user(db, ADMIN_USERNAME, ADMIN_PASSWORD, is_admin=True,
                                  display_name="Demo Admin")
    viewer_password = _ensure_user(db, VIEWER_USERNAME, VIEWER_PASSWORD, is_admin=False,
                                   display_name="Demo Viewer")
    host_settings.set_setting(db, "erp_sync_enabled", False)
    info = DemoInfo(
        url_path="/settings/import",
        username=ADMIN_USERNAME,
        password=admin_password,
        viewer_password=viewer_password,
        connection_created=_ensure_connection(db),
        companies_created=_ensure_companies(db, demo_company_names(OVERLAPPING_COMPANIES)),
    )
    if echo is not None:
        echo(info.describe())
    return info


def _ensure_user(db: Engine, username: str, password: str, *, is_admin: bool,
                 display_name: str) -> str | None:
    """Create the user if missing; the demo password, or None if it was changed."""
    if users.get_user_by_name(db, username) is None:
        users.create_user(db, username, password, is_admin=is_admin,
                          display_name=display_name)
        return password
    return password if users.authenticate(db, username, password) is not None else None


def _ensure_connection(db: Engine) -> bool:
    """Add the "Demo ERP" workbook connection unless a connection of that name exists."""
    try:
        from ..connections import ConnectionStore
    except ImportError:
        log.warning("erpsync.connections is not available: no demo connection created")
        return False
    store = ConnectionStore(db)
    if store.get_by_name(DEMO_CONNECTION) is not None:
        return False
    store.add(DEMO_CONNECTION, "workbook", {"path": str(DEMO_DATA_DIR)}, active=True)
    return True


def demo_company_names(limit: int, data_dir: Path = DEMO_DATA_DIR) -> list[str]:
    """Names of the first ``limit`` customers of the demo ERP data (``customer.csv``)."""
    path = data_dir / "customer.csv"
    if not path.exists():
        return []
    names: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        column = next((c for c in reader.fieldnames or [] if c.strip().upper() == "NAME"), None)
        if column is None:
            return []
        for row in reader:
            name = (row.get(column) or "").strip()
            if name:
                names.append(name)
            if len(names) >= limit:
                break
    return names


def _ensure_companies(db: Engine, names: list[str]) -> int:
    """Insert a bare CRM company (name only) for every name not in the CRM yet, so
    importing the ERP customer of that name is previewed as an update."""
    from ..engine.normalize import company_keys

    now = datetime.now(UTC)
    created = 0
    with db.begin() as conn:
        for name in names:
            keys = company_keys(name, None, None)
            if conn.execute(select(company.c.id)
                            .where(company.c.name_key == keys["name_key"])).first():
                continue
            conn.execute(insert(company).values(name=name, created_at=now, updated_at=now,
                                                **keys))
            created += 1
    return created


def main(argv: list[str] | None = None) -> None:
    """Set up the demo and serve the reference host (``python -m erpsync.host.demo``)."""
    import uvicorn

    from .app import create_app

    parser = argparse.ArgumentParser(prog="python -m erpsync.host.demo",
                                     description=gettext("Run the reference CRM host demo."))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    app = create_app(data_dir=args.data_dir)
    info = ensure_demo(app, app.state.data_dir, echo=None)
    print(info.describe(f"http://{args.host}:{args.port}"))
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
