"""Uploads: streamed to the upload folder as they arrive, kept for their
uploader only, cleaned up."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from erpsync.filesource import uploads
from erpsync.filesource.errors import FileSourceError
from erpsync.filesource.uploads import Upload, UploadStore

BOUNDARY = "----erpsyncTestBoundary7MA4YWxkTrZu0gW"
MB = 1024 * 1024


def body_parts(file_chunks: Iterator[bytes], filename: str = "big.csv",
               fields: dict[str, str] | None = None) -> Iterator[bytes]:
    """A multipart/form-data body, produced piece by piece."""
    for name, value in (fields or {}).items():
        yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
               f"{value}\r\n").encode()
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    yield from file_chunks
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def request_of(parts: Iterator[bytes]) -> Request:
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]}

    async def receive() -> dict:
        chunk = next(parts, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    return Request(scope, receive)


def csv_chunks(total: int, digest: Any) -> Iterator[bytes]:
    line = b"Firma BV;Straat 1;1234 AB;Zwolle\r\n" * 2048  # ~70 KB
    sent = 0
    while sent < total:
        chunk = line[:total - sent]
        digest.update(chunk)
        sent += len(chunk)
        yield chunk


def test_a_100_mb_upload_streams_to_disk(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads")
    digest = hashlib.sha256()
    total = 100 * MB
    request = request_of(body_parts(csv_chunks(total, digest), "C:\\Users\\me\\big.csv",
                                    {"type": "person"}))
    tracemalloc.start()
    try:
        received = asyncio.run(uploads.receive(request, store))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB, f"{peak / MB:.1f} MB held while receiving 100 MB"
    assert (received.fields, received.filename, received.size) == (
        {"type": "person"}, "big.csv", total)
    assert received.sha256 == digest.hexdigest()
    stored = store.data_path(received.token)
    assert stored.parent == tmp_path / "uploads" and stored.stat().st_size == total
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [stored.name]


def test_too_large_an_upload_is_refused_and_not_kept(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads")
    request = request_of(body_parts(csv_chunks(3 * MB, hashlib.sha256())))
    with pytest.raises(FileSourceError) as caught:
        asyncio.run(uploads.receive(request, store, max_bytes=MB))
    assert "too large" in str(caught.value.user_message)
    assert list((tmp_path / "uploads").iterdir()) == []


def test_a_broken_request_is_refused_and_not_kept(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads")
    parts = iter([f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                  f"filename=\"a.csv\"\r\n\r\nName\r\nAcme".encode(), b"\x00garbage--"])
    request = request_of(parts)
    with pytest.raises(FileSourceError):
        asyncio.run(uploads.receive(request, store))
    assert list((tmp_path / "uploads").iterdir()) == []


def test_not_a_form(tmp_path: Path) -> None:
    request = Request({"type": "http", "method": "POST", "path": "/",
                       "headers": [(b"content-type", b"application/json")]})
    with pytest.raises(FileSourceError) as caught:
        asyncio.run(uploads.receive(request, UploadStore(tmp_path)))
    assert str(caught.value.user_message) == "Choose a file to upload."


def _stored(store: UploadStore, user_id: int) -> Upload:
    token = store.new_token()
    store.data_path(token).write_bytes(b"Name\nAcme\n")
    upload = Upload(token=token, user_id=user_id, filename="a.csv", size=10, sha256="0" * 64,
                    actor_type="customer", fmt={"kind": "csv"}, created_at=time.time())
    store.save(upload)
    return upload


def test_an_upload_belongs_to_its_uploader(tmp_path: Path) -> None:
    store = UploadStore(tmp_path)
    upload = _stored(store, 1)
    assert store.load(upload.token, 1) == upload
    assert store.load(upload.token, 2) is None
    assert store.load("../" + upload.token, 1) is None
    store.delete(upload.token)
    assert store.load(upload.token, 1) is None and list(tmp_path.iterdir()) == []


def test_old_uploads_are_cleaned_up(tmp_path: Path) -> None:
    store = UploadStore(tmp_path)
    old, new = _stored(store, 1), _stored(store, 1)
    past = time.time() - uploads.UPLOAD_TTL - 60
    for path in tmp_path.glob(f"{old.token}.*"):
        os.utime(path, (past, past))
    assert store.cleanup() == 2
    assert store.load(old.token, 1) is None and store.load(new.token, 1) == new


def test_the_upload_folder_is_the_hosts_setting_or_next_to_the_backups() -> None:
    class Host:
        def __init__(self, **settings: str) -> None:
            self.settings = settings

        def setting(self, name: str) -> str | None:
            return self.settings.get(name)

    assert uploads.upload_dir(Host(upload_dir="/data/up")) == Path("/data/up")
    assert uploads.upload_dir(Host(backup_dir="/data/backups")) == Path("/data/uploads")
    assert uploads.upload_dir(Host()).name == "erpsync-uploads"
