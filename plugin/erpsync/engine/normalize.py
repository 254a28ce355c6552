"""Normalised match keys: one definition used on the CRM side and the staged side.

Keys are what duplicate matching compares, so both sides must be computed by
the same functions. Each returns None for an empty value (no key, no match).

- :func:`name_key`   Unicode-normalised (NFKC), case-folded, whitespace collapsed
  and trimmed: ``"  ACME  as "`` -> ``"acme as"``. Also used for departments and
  list values.
- :func:`vat_key`    upper-cased without spaces, dots and dashes, without a
  leading two-letter country prefix and without a trailing Norwegian ``MVA``:
  ``"NO 987 654 321 MVA"``, ``"987.654.321"`` -> ``"987654321"``;
  ``"NL8123.45.678.B01"`` -> ``"812345678B01"`` (other suffixes are kept).
- :func:`email_key`  trimmed and lower-cased.
- :func:`phone_key`  the digits; a leading ``+`` counts as ``00``, so
  ``"+47 912 34 567"`` and ``"0047 91234567"`` -> ``"004791234567"``. A number
  without country code (``"91234567"``) stays as it is: national and
  international forms of one number do not match (kept simple on purpose).
- :func:`url_key`    lower-cased, without scheme, ``www.`` and trailing ``/``.
- :func:`code_key`   trimmed (codes and numbers compare exactly).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_VAT_NOISE = re.compile(r"[\s.\-]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_NOT_DIGITS = re.compile(r"\D")
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


def clean(value: Any) -> str | None:
    """A staged field value as text: trimmed, None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


def cut(value: str | None, length: int | None) -> str | None:
    """``value`` cut to ``length`` characters (what apply writes into a column)."""
    if value is None or length is None:
        return value
    return value[:length]


def _fit(key: str, length: int | None) -> str:
    return key[:length] if length else key


def name_key(value: str | None, length: int | None = None) -> str | None:
    """Match key of a name, department or list value."""
    if not value:
        return None
    # NFKC leaves ASCII text as it is, and its case folding is lower():
    # the fast path for most names. (split() splits on what \s matches.)
    folded = (value.lower() if value.isascii()
              else unicodedata.normalize("NFKC", value).casefold())
    key = " ".join(folded.split())
    return _fit(key, length) if key else None


def person_name(first: str | None, middle: str | None, last: str | None) -> str | None:
    """Display name of a person: ``"first middle last"`` without empty parts."""
    text = " ".join(part.strip() for part in (first, middle, last) if part and part.strip())
    return text or None


def person_name_key(first: str | None, middle: str | None, last: str | None,
                    length: int | None = 300) -> str | None:
    """Match key of a person; None unless a first or last name is given."""
    if not ((first and first.strip()) or (last and last.strip())):
        return None
    return name_key(person_name(first, middle, last), length)


def vat_key(value: str | None, length: int | None = None) -> str | None:
    """Match key of a VAT number (see the module docstring)."""
    if not value:
        return None
    key = _VAT_NOISE.sub("", value).upper()
    if len(key) > 2 and key[:2].isalpha() and key[:2].isascii():
        key = key[2:]
    if key.endswith("MVA") and len(key) > 3:
        key = key[:-3]
    return _fit(key, length) if key else None


def code_key(value: str | None, length: int | None = None) -> str | None:
    """Match key of a code or number: the trimmed value."""
    value = (value or "").strip()
    return _fit(value, length) if value else None


def email_key(value: str | None, length: int | None = None) -> str | None:
    value = (value or "").strip().lower()
    return _fit(value, length) if value else None


def is_valid_email(value: str | None) -> bool:
    """One ``@``, something before it, and a dot inside the domain."""
    return bool(value and _EMAIL.match(value.strip()))


def phone_key(value: str | None, length: int | None = None) -> str | None:
    """Match key of a phone or mobile number (see the module docstring)."""
    if not value:
        return None
    text = value.strip()
    digits = _NOT_DIGITS.sub("", text)
    if text.startswith("+") and digits:
        digits = "00" + digits
    return _fit(digits, length) if digits else None


def url_key(value: str | None, length: int | None = None) -> str | None:
    if not value:
        return None
    key = _URL_SCHEME.sub("", value.strip().lower())
    key = key.removeprefix("www.").rstrip("/")
    return _fit(key, length) if key else None


def company_keys(name: str | None, department: str | None,
                 vatno: str | None) -> dict[str, str | None]:
    """The key columns of a ``company`` row (``name_key``, ``dept_key``, ``vat_key``).

    Hosts that write companies themselves should store these too (or leave them
    NULL: the engine fills missing keys before it matches).
    """
    return {"name_key": name_key(name, 200), "dept_key": name_key(department, 200),
            "vat_key": vat_key(vatno, 50)}


def communication_key(kind: str, value: str | None) -> str | None:
    """``value_key`` of a ``communication`` row of ``kind``."""
    if kind in ("phone", "mobile"):
        return phone_key(value, 250)
    if kind == "email":
        return email_key(value, 250)
    if kind == "url":
        return url_key(value, 250)
    return name_key(value, 250)
