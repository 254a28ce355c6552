"""Helpers of the File source tests: files to upload, login, page text."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from demo_host import login, text_of  # noqa: F401 - the tests import them from here

UPLOAD = "/erpsync/file/upload"


def csv_bytes(rows: Iterable[Sequence[Any]], delimiter: str = ",",
              encoding: str = "utf-8", bom: bool = False, newline: str = "\r\n") -> bytes:
    """A CSV file as Excel writes it: quoted where needed."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    for row in rows:
        writer.writerow(row)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def xlsx_bytes(sheets: dict[str, list[Sequence[Any]]]) -> bytes:
    """A workbook with one sheet per item, in order."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:800])
    return response.headers["location"]


def upload(client: TestClient, name: str, data: bytes, actor_type: str = "customer") -> Any:
    return client.post(UPLOAD, data={"type": actor_type},
                       files={"file": (name, data, "application/octet-stream")})


def selected_fields(page: str) -> list[str]:
    """The field chosen for each column of the mapping table ("" = no selection)."""
    chosen = []
    for body in re.findall(r'<select id="col-\d+" name="col\.\d+">(.*?)</select>', page, re.S):
        found = re.search(r'<option value="([^"]*)" selected', body)
        chosen.append(found.group(1) if found else "")
    return chosen


def mapping_form(fields: Sequence[str | None], **extra: str) -> dict[str, str]:
    data = {f"col.{i}": field or "" for i, field in enumerate(fields)}
    data.update(extra)
    return data
