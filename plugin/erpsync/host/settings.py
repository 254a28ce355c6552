"""Host-wide settings stored in ``host_setting`` (a JSON value per key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from .models import host_setting

#: Values used while a key was never saved.
DEFAULTS: dict[str, Any] = {
    #: ERP synchronization (Quote/Sync > Sync tab); while on, the ERP Sync import is disabled.
    "erp_sync_enabled": False,
    "default_locale": "en",
}

_MISSING = object()


def get_setting(db: Engine, key: str, default: Any = _MISSING) -> Any:
    """The stored value of ``key``; else ``default``, else :data:`DEFAULTS`, else None."""
    with db.connect() as conn:
        row = conn.execute(select(host_setting.c.value).where(host_setting.c.key == key)).first()
    if row is not None:
        return row.value
    if default is not _MISSING:
        return default
    return DEFAULTS.get(key)


def set_setting(db: Engine, key: str, value: Any) -> None:
    """Store ``value`` (anything JSON can hold) under ``key``."""
    with db.begin() as conn:
        exists = conn.execute(
            select(host_setting.c.key).where(host_setting.c.key == key)
        ).first()
        if exists:
            conn.execute(host_setting.update().where(host_setting.c.key == key)
                         .values(value=value))
        else:
            conn.execute(host_setting.insert().values(key=key, value=value))


def all_settings(db: Engine) -> dict[str, Any]:
    """Every setting: the defaults overlaid with the stored values."""
    with db.connect() as conn:
        stored = {row.key: row.value for row in conn.execute(select(host_setting))}
    return {**DEFAULTS, **stored}
