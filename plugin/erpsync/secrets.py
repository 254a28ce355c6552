"""Secrets of ERP connections (passwords, API tokens) encrypted at rest.

A secret is stored in a connection's JSON configuration as
``{"$fernet": "<token>"}`` (a :class:`cryptography.fernet.Fernet` token:
AES-128-CBC with an HMAC-SHA256, and a time stamp). The key comes from the
host's configuration, in this order:

1. ``ERPSYNC_SECRET_KEY`` (the environment variable the reference host also
   signs its sessions with): the Fernet key is derived from it with HKDF-SHA256,
   so the two uses never share key material;
2. otherwise a key file, ``connection-secrets.key`` in the data directory,
   made on first use (readable by its owner only).

Values encrypted with either key stay readable while that key is available
(:class:`cryptography.fernet.MultiFernet`): setting ``ERPSYNC_SECRET_KEY``
later does not lose the secrets saved with the key file. Losing both keys
loses the secrets - the admin then enters them again
(:attr:`erpsync.connections.Connection.unreadable_secrets` tells which).

Which configuration keys are secrets: the connector's password-type
config fields (:func:`secret_config_keys`), plus keys whose name says so
(``password``, ``token``, ``secret``, ``api_key``...), so that a connection
of an uninstalled connector keeps its secrets hidden too.

A host or tool that keeps its data directory elsewhere than
:func:`erpsync.db.default_data_dir` tells erpsync with :func:`bind`, once per
database engine (the reference host and the CLI do).
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import threading
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine

log = logging.getLogger(__name__)

ENV_KEY = "ERPSYNC_SECRET_KEY"
KEY_FILE = "connection-secrets.key"
#: The JSON object key marking an encrypted value.
MARKER = "$fernet"
#: Parts of configuration key names that always mean "secret".
SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "api_key")

_HKDF_SALT = b"erpsync"
_HKDF_INFO = b"erpsync erp-connection secrets v1"


class SecretError(Exception):
    """A secret cannot be decrypted (the key it was made with is gone) or the
    key cannot be read or made. Never carries the secret itself."""


def derive_key(secret: str) -> bytes:
    """The Fernet key derived from a configured secret (``ERPSYNC_SECRET_KEY``)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT,
               info=_HKDF_INFO).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def is_encrypted(value: Any) -> bool:
    """Whether a stored configuration value is an encrypted secret."""
    return isinstance(value, Mapping) and set(value) == {MARKER} \
        and isinstance(value[MARKER], str)


class SecretBox:
    """Encrypts and decrypts connection secrets with the host's key.

    ``data_dir`` holds the key file; ``secret`` (default: ``ERPSYNC_SECRET_KEY``)
    is the configured secret the key is derived from. The key file is read
    lazily and made only when something is encrypted without a configured
    secret.
    """

    def __init__(self, data_dir: Path | None = None, secret: str | None = None) -> None:
        from .db import default_data_dir

        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.secret = secret if secret is not None else (os.environ.get(ENV_KEY) or None)
        self._lock = threading.Lock()
        self._cached: MultiFernet | None = None

    @property
    def key_file(self) -> Path:
        return self.data_dir / KEY_FILE

    # -- keys ----------------------------------------------------------------
    def _file_key(self, create: bool) -> bytes | None:
        path = self.key_file
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            key = b""
        except OSError as exc:
            raise SecretError(f"cannot read the key file {path}: {exc.strerror}") from exc
        if key:
            return key
        if not create:
            return None
        return self._make_key_file(path)

    @staticmethod
    def _make_key_file(path: Path) -> bytes:
        key = Fernet.generate_key()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: when two processes start at once, the second one reads
            # the first one's key instead of writing its own.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            existing = path.read_bytes().strip()
            if existing:
                return existing
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise SecretError(f"cannot create the key file {path}: {exc.strerror}") from exc
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        log.info("created the connection secrets key file %s", path)
        return key

    def _fernet(self, create: bool) -> MultiFernet | None:
        """Every usable key, the one new values are encrypted with first (read
        once: the key file is never rewritten)."""
        with self._lock:
            if self._cached is not None:
                return self._cached
            keys: list[bytes] = []
            if self.secret:
                keys.append(derive_key(self.secret))
            file_key = self._file_key(create=create and not keys)
            if file_key:
                keys.append(file_key)
            if not keys:
                return None
            try:
                self._cached = MultiFernet([Fernet(k) for k in keys])
                return self._cached
            except ValueError as exc:
                raise SecretError(f"the key in {self.key_file} is not a Fernet key") from exc

    # -- values --------------------------------------------------------------
    def encrypt(self, plaintext: str) -> dict[str, str]:
        """The stored form of a secret: ``{"$fernet": token}``."""
        fernet = self._fernet(create=True)
        assert fernet is not None  # create=True always finds or makes a key
        return {MARKER: fernet.encrypt(str(plaintext).encode("utf-8")).decode("ascii")}

    def decrypt(self, stored: Any) -> str:
        """The plaintext of an encrypted value (anything else is returned as
        text unchanged: secrets saved before encryption existed)."""
        if not is_encrypted(stored):
            return "" if stored is None else str(stored)
        fernet = self._fernet(create=False)
        if fernet is None:
            raise SecretError("no key: neither ERPSYNC_SECRET_KEY nor the key file "
                              f"{self.key_file} is available")
        try:
            return fernet.decrypt(stored[MARKER].encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError) as exc:
            raise SecretError("the secret was encrypted with another key") from exc

    def seal(self, data: bytes) -> str:
        """A short-lived opaque token holding ``data`` (e.g. a password typed
        into a form that has to be shown again): see :meth:`unseal`."""
        fernet = self._fernet(create=True)
        assert fernet is not None
        return fernet.encrypt(data).decode("ascii")

    def unseal(self, token: str, ttl: int) -> bytes | None:
        """The data of a :meth:`seal` token at most ``ttl`` seconds old; None
        when it is older, forged or made with another key."""
        fernet = self._fernet(create=False)
        if fernet is None or not token:
            return None
        try:
            return fernet.decrypt(token.encode("ascii"), ttl=ttl)
        except (InvalidToken, UnicodeError, ValueError):
            return None


# ------------------------------------------------------------------ per database

_bound: weakref.WeakKeyDictionary[Engine, SecretBox] = weakref.WeakKeyDictionary()
_bound_lock = threading.Lock()


def bind(db: Engine, data_dir: Path | None = None, secret: str | None = None) -> SecretBox:
    """Use the key of ``data_dir`` (and ``secret``, default ``ERPSYNC_SECRET_KEY``)
    for the connections stored in ``db``; returns the box."""
    box = SecretBox(data_dir, secret)
    with _bound_lock:
        _bound[db] = box
    return box


def box_for(db: Engine) -> SecretBox:
    """The box :func:`bind` set for ``db``, else one on the default data directory."""
    with _bound_lock:
        box = _bound.get(db)
        if box is None:
            box = _bound[db] = SecretBox()
    return box


# ------------------------------------------------------------------ which keys


def looks_secret(key: str) -> bool:
    """Whether a configuration key's name says it holds a secret."""
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


@functools.lru_cache(maxsize=1)
def _installed_classes() -> dict[str, Any]:
    from .connectors.registry import connector_classes
    from .plugins import get_plugin_manager

    return connector_classes(get_plugin_manager())


def password_fields(cls: Any) -> set[str]:
    """Keys of a connector class's password-type config fields."""
    from .connectors.base import FieldType

    try:
        fields = cls.config_fields()
    except Exception:  # noqa: BLE001 - a broken plugin must not hide other secrets
        log.warning("config_fields() of connector %r failed", getattr(cls, "name", cls),
                    exc_info=True)
        return set()
    return {f.key for f in fields if f.type is FieldType.PASSWORD}


def secret_config_keys(connector: str, config: Iterable[str] = (),
                       classes: Mapping[str, Any] | None = None) -> set[str]:
    """The keys of ``config`` (plus the connector's password fields) to keep
    secret for a connection of ``connector``. ``classes`` defaults to the
    installed connectors (built-in and entry points)."""
    if classes is None:
        try:
            classes = _installed_classes()
        except Exception:  # noqa: BLE001 - fall back to names only
            log.warning("cannot list the installed connectors", exc_info=True)
            classes = {}
    cls = classes.get(connector)
    keys = password_fields(cls) if cls is not None else set()
    return keys | {k for k in config if looks_secret(k)}
