"""Users of the reference host: creation, password check (argon2), profile language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..i18n import lazy_gettext as _l
from ..i18n import normalize_locale
from .models import app_user

_hasher = PasswordHasher()
#: Verified against when the username is unknown, so that a wrong username
#: costs as much time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("erpsync-no-such-user")

MAX_USERNAME = 100


class UserError(ValueError):
    """Invalid user data; ``user_message`` is a lazy, localized explanation."""

    def __init__(self, user_message: Any) -> None:
        super().__init__(str(user_message))
        self.user_message = user_message


def normalize_username(username: str) -> str:
    """Usernames are compared case-insensitively and without surrounding blanks."""
    return username.strip().lower()


def create_user(db: Engine, username: str, password: str, is_admin: bool = False,
                display_name: str | None = None, locale: str | None = None) -> int:
    """Create a user and return its id. Raises :class:`UserError` for an empty or
    taken username, an empty password or an unsupported language."""
    name = normalize_username(username)
    if not name:
        raise UserError(_l("The username cannot be empty."))
    if len(name) > MAX_USERNAME:
        # Translators: %(max)s is the longest allowed username, in characters.
        raise UserError(_l("The username can have at most %(max)s characters.",
                           max=MAX_USERNAME))
    if not password:
        raise UserError(_l("The password cannot be empty."))
    if locale is not None and normalize_locale(locale) is None:
        # Translators: %(code)s is a language code such as "de".
        raise UserError(_l("Unsupported language: %(code)s", code=locale))
    values = {
        "username": name,
        "password_hash": _hasher.hash(password),
        "display_name": (display_name or "").strip() or username.strip(),
        "is_admin": bool(is_admin),
        "locale": normalize_locale(locale),
        "created_at": datetime.now(UTC),
    }
    try:
        with db.begin() as conn:
            return int(conn.execute(insert(app_user).values(**values)).inserted_primary_key[0])
    except IntegrityError as exc:
        # Translators: %(name)s is a username.
        raise UserError(_l("The username %(name)s is already taken.", name=name)) from exc


def authenticate(db: Engine, username: str, password: str) -> Row | None:
    """The user row when ``password`` is right, else None.

    Takes about the same time for unknown usernames, and upgrades the stored
    hash when the hasher's parameters changed since it was made.
    """
    name = normalize_username(username or "")
    with db.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.username == name)).first()
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        with db.begin() as conn:
            conn.execute(update(app_user).where(app_user.c.id == row.id)
                         .values(password_hash=_hasher.hash(password)))
    return row


def get_user(db: Engine, user_id: int) -> Row | None:
    """The user row with ``user_id``, or None."""
    with db.connect() as conn:
        return conn.execute(select(app_user).where(app_user.c.id == user_id)).first()


def get_user_by_name(db: Engine, username: str) -> Row | None:
    """The user row with ``username`` (case-insensitive), or None."""
    with db.connect() as conn:
        return conn.execute(
            select(app_user).where(app_user.c.username == normalize_username(username))
        ).first()


def set_locale(db: Engine, user_id: int, locale: str | None) -> None:
    """Store the user's profile language (normalised; None clears it)."""
    code = normalize_locale(locale)
    if locale is not None and code is None:
        # Translators: %(code)s is a language code such as "de".
        raise UserError(_l("Unsupported language: %(code)s", code=locale))
    with db.begin() as conn:
        conn.execute(update(app_user).where(app_user.c.id == user_id).values(locale=code))


def set_password(db: Engine, user_id: int, password: str) -> None:
    """Replace the user's password."""
    if not password:
        raise UserError(_l("The password cannot be empty."))
    with db.begin() as conn:
        conn.execute(update(app_user).where(app_user.c.id == user_id)
                     .values(password_hash=_hasher.hash(password)))


def user_count(db: Engine) -> int:
    """How many users exist."""
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(app_user)).scalar_one())
