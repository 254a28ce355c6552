"""Uploaded files, kept in the data directory until they are staged.

:func:`receive` parses the ``multipart/form-data`` request itself, as it
arrives, writing the file part straight to ``<upload dir>/<token>.data``
while hashing it (SHA-256): a 100 MB file never sits in memory whole, and it
does not pass through the system's temporary folder (often a RAM disk)
either. What the dialogs learnt about the file (format, sheet, column names,
sample rows, actor type) is kept next to it in ``<token>.json``; only its
uploader can use it. Uploads are removed when staged or cancelled, and any
left behind after :data:`UPLOAD_TTL`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..i18n import lazy_gettext
from .errors import FileSourceError
from .reading import FileFormat, Scan

#: The largest file accepted.
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
#: The largest ordinary form field of an upload form.
MAX_FIELD_BYTES = 64 * 1024
#: Uploads older than this are deleted when the next upload starts.
UPLOAD_TTL = 24 * 3600
#: The longest file name kept (for display).
NAME_LENGTH = 200

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def upload_dir(erpsync: Any) -> Path:
    """Where uploads wait: the host's ``upload_dir`` setting; else ``uploads``
    next to the backups folder (the reference host's data directory); else a
    folder in the system's temporary directory."""
    configured = erpsync.setting("upload_dir")
    if configured:
        return Path(configured)
    backups = erpsync.setting("backup_dir")
    if backups:
        return Path(backups).parent / "uploads"
    return Path(tempfile.gettempdir()) / "erpsync-uploads"


@dataclass
class Upload:
    """One uploaded file and what the dialogs know about it."""

    token: str
    user_id: int | None
    filename: str
    size: int
    sha256: str
    actor_type: str
    fmt: dict[str, Any]
    sheet: str | None = None
    scan: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0

    @property
    def file_format(self) -> FileFormat:
        return FileFormat.from_json(self.fmt)

    @property
    def scanned(self) -> Scan:
        return Scan(header=list(self.scan.get("header") or []), rows=int(self.scan.get("rows")
                    or 0), samples=[list(s) for s in self.scan.get("samples") or []])


class UploadStore:
    """The upload folder: ``<token>.data`` (the bytes) and ``<token>.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def data_path(self, token: str) -> Path:
        return self.directory / f"{token}.data"

    def _meta_path(self, token: str) -> Path:
        return self.directory / f"{token}.json"

    def new_token(self) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        return secrets.token_urlsafe(18)

    def save(self, upload: Upload) -> None:
        """Write the description (atomically: a reader sees the old or the new one)."""
        target = self._meta_path(upload.token)
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(asdict(upload), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, target)

    def load(self, token: str, user_id: int | None) -> Upload | None:
        """The upload ``token`` of ``user_id``, or None (unknown, someone
        else's, or its file is gone)."""
        if not _TOKEN.match(token or ""):
            return None
        try:
            data = json.loads(self._meta_path(token).read_text(encoding="utf-8"))
            upload = Upload(**data)
        except (OSError, ValueError, TypeError):
            return None
        if upload.user_id != user_id or not self.data_path(token).is_file():
            return None
        return upload

    def delete(self, token: str) -> None:
        if not _TOKEN.match(token or ""):
            return
        for path in (self.data_path(token), self._meta_path(token),
                     self.data_path(token).with_suffix(".part")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def cleanup(self, max_age: float = UPLOAD_TTL) -> int:
        """Delete uploads older than ``max_age`` seconds; returns how many files."""
        removed = 0
        limit = time.time() - max_age
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return 0
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.is_file() and entry.stat().st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
        return removed


# ------------------------------------------------------------------ receiving


@dataclass
class Received:
    """An upload form as it arrived: its fields and the stored file, if any."""

    fields: dict[str, str]
    token: str | None = None
    filename: str = ""
    size: int = 0
    sha256: str = ""


def _too_large() -> FileSourceError:
    # Translators: %(num)s is a size in megabytes.
    return FileSourceError(lazy_gettext("The file is too large: files of up to %(num)s MB "
                                        "can be imported.", num=MAX_UPLOAD_BYTES // 2**20),
                           "upload larger than MAX_UPLOAD_BYTES")


def _broken(technical: str) -> FileSourceError:
    return FileSourceError(lazy_gettext("The file did not arrive completely. Try again."),
                           technical)


def clean_filename(name: str) -> str:
    """The file's own name (browsers may send a path), for display only."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:NAME_LENGTH] or "upload"


class _Parts:
    """Callbacks of :class:`MultipartParser`: collects fields, queues the
    file part's bytes for writing (the caller writes them off the event loop)."""

    def __init__(self, file_field: str) -> None:
        self.file_field = file_field
        self.fields: dict[str, str] = {}
        self.pending: list[bytes] = []
        self.filename: str | None = None
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._skip = False
        self._buffer = bytearray()
        self.ended = False  # the closing boundary arrived: nothing is missing

    def on_part_begin(self) -> None:
        self._disposition, self._buffer = b"", bytearray()
        self._is_file = self._skip = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self._is_file = True
            # Only the first file of the expected field is kept.
            self._skip = self._name != self.file_field or self.filename is not None
            if not self._skip:
                self.filename = options[b"filename"].decode("utf-8", "replace")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            if not self._skip:
                self.pending.append(data[start:end])
            return
        self._buffer += data[start:end]
        if len(self._buffer) > MAX_FIELD_BYTES:
            raise _broken("form field too large")

    def on_part_end(self) -> None:
        if not self._is_file and self._name:
            self.fields.setdefault(self._name, self._buffer.decode("utf-8", "replace"))

    def on_end(self) -> None:
        self.ended = True

    def callbacks(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "on_part_begin", "on_header_field", "on_header_value", "on_header_end",
            "on_headers_finished", "on_part_data", "on_part_end", "on_end")}


async def receive(request: Request, store: UploadStore, file_field: str = "file",
                  max_bytes: int = MAX_UPLOAD_BYTES) -> Received:
    """Read a ``multipart/form-data`` request as it streams in; the file of
    ``file_field`` goes to a new upload of ``store``. Raises
    :class:`FileSourceError` for a broken or too large request (the partial
    file is deleted)."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise FileSourceError(lazy_gettext("Choose a file to upload."),
                              f"content type {kind!r}")
    parts = _Parts(file_field)
    parser = MultipartParser(boundary, parts.callbacks())
    token = await run_in_threadpool(store.new_token)
    partial = store.data_path(token).with_suffix(".part")
    digest = hashlib.sha256()
    size = 0
    fh: IO[bytes] | None = None

    def write(chunks: list[bytes]) -> None:
        nonlocal fh
        if fh is None:
            fh = partial.open("wb")
        for chunk in chunks:
            fh.write(chunk)
            digest.update(chunk)

    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if parts.pending:
                chunks, parts.pending = parts.pending, []
                size += sum(len(c) for c in chunks)
                if size > max_bytes:
                    raise _too_large()
                await run_in_threadpool(write, chunks)
        parser.finalize()
        if not parts.ended:
            raise _broken("the request ended before the closing boundary")
    except FileSourceError:
        _close_and_remove(fh, partial)
        raise
    except Exception as exc:  # a broken request or a client that went away
        _close_and_remove(fh, partial)
        raise _broken(f"{type(exc).__name__}: {exc}") from exc
    if fh is not None:
        fh.close()
    if parts.filename is None or (not parts.filename and size == 0):
        _close_and_remove(None, partial)
        return Received(fields=parts.fields)
    if fh is None:  # an empty file: nothing was written yet
        partial.touch()
    os.replace(partial, store.data_path(token))
    return Received(fields=parts.fields, token=token, filename=clean_filename(parts.filename),
                    size=size, sha256=digest.hexdigest())


def _close_and_remove(fh: IO[bytes] | None, path: Path) -> None:
    if fh is not None:
        fh.close()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
