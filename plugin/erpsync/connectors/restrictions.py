"""Search restrictions evaluated in Python, for connectors that read plain rows.

:func:`compile_restrictions` checks every criterion up front (unknown field,
operator not allowed for the field's type, wrong number of values, a value that
does not parse) and raises :class:`ConnectorError` with a localized message, so
a bad criterion never silently matches everything. The predicate it returns
takes one row (a mapping of field key to raw value) and AND-s the criteria.

Semantics (DESIGN.md, "Search operators"):

* text: case-insensitive (``str.casefold``); an empty value counts as ``""``.
* number, datetime: an empty value matches no comparison (as SQL's NULL).
* checkbox: an empty value counts as unchecked.
* list: values are list item keys; a list item's display name (any language)
  is accepted in place of its key, on either side.
* datetime: a criterion written as a date (``2025-03-14``) compares the date
  part only; one with a time compares instants (naive means UTC).
* ``between`` is inclusive; reversed bounds are swapped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from ..i18n import LazyString, lazy_gettext, localize
from .base import (
    OPERATOR_LABELS,
    OPERATORS_BY_TYPE,
    ConnectorError,
    FieldMeta,
    FieldType,
    Operator,
    Restriction,
)

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]
#: Maps a list value (key or display name) to its canonical form, per list name.
ListResolver = Callable[[str | None, str], str]

NUMBER_TYPES = (FieldType.INTEGER, FieldType.DOUBLE)
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "x", "on", "ja", "j", "waar", "sant"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off", "nee", "nei", "onwaar", "usant", "-"})
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadValue(ValueError):
    """A stored or typed value does not fit its field's type. The caller says
    where the value came from (a row of a file, a criterion)."""

    def __init__(self, field_key: str, value: Any, field_type: FieldType) -> None:
        super().__init__(f"{field_key}: {value!r} is not a valid {field_type.value}")
        self.field_key = field_key
        self.value = value
        self.field_type = field_type


# ------------------------------------------------------------------ parsing


def to_text(value: Any) -> str | None:
    """Text of a cell: numbers without a spurious ``.0``, dates in ISO form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def parse_number(value: Any) -> float | None:
    """A number from a cell; accepts ``1234.5``, ``1234,5``, ``1.234,50`` and
    ``1,234.50`` (the last separator is the decimal one). Raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = re.sub(r"[\s\u00a0\u202f']", "", str(value))
        if not text:
            return None
        if "," in text and "." in text:
            decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal_sep == "," else ","
            text = text.replace(thousands, "").replace(decimal_sep, ".")
        elif "," in text:
            if text.count(",") > 1:
                raise ValueError(value)
            text = text.replace(",", ".")
        number = float(text)
    if not math.isfinite(number):  # float() accepts "nan" and "inf"
        raise ValueError(value)
    return number


def parse_bool(value: Any) -> bool | None:
    """A checkbox value; None for an empty cell. Raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = str(value).strip().casefold()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(value)


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from a cell (ISO text or a spreadsheet date); naive
    values are taken as UTC. Raises ValueError."""
    if value is None:
        return None
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time.min)
    else:
        text = str(value).strip()
        if not text:
            return None
        result = datetime.fromisoformat(text)
    return result if result.tzinfo else result.replace(tzinfo=UTC)


def parse_moment(value: Any) -> date | datetime:
    """A criterion value for a datetime field: a :class:`date` when written
    without a time (compare whole days), else an aware datetime."""
    if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        return date.fromisoformat(value.strip())
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(value)
    return parsed


def typed_value(field: FieldMeta, value: Any) -> Any:
    """A raw cell as a JSON-friendly value of the field's type: str for text and
    lists, int/float for numbers, bool for checkboxes, ISO text for datetimes.
    Raises :class:`BadValue`."""
    try:
        if field.type is FieldType.INTEGER:
            number = parse_number(value)
            if number is None:
                return None
            if not number.is_integer():
                raise ValueError(value)
            return int(number)
        if field.type is FieldType.DOUBLE:
            return parse_number(value)
        if field.type is FieldType.CHECKBOX:
            return bool(parse_bool(value))
        if field.type is FieldType.DATETIME:
            moment = parse_datetime(value)
            return moment.isoformat() if moment else None
    except (ValueError, OverflowError) as exc:
        raise BadValue(field.key, value, field.type) from exc
    return to_text(value)


# ------------------------------------------------------------------ messages

def _field_label(field: FieldMeta) -> LazyString:
    # Rendered when the message is shown, in the admin's language.
    return LazyString(localize, field.display_name)


def _value_error(field: FieldMeta, value: Any) -> ConnectorError:
    label = _field_label(field)
    if field.type in NUMBER_TYPES:
        # Translators: a search criterion value; %(field)s is the field's display name.
        msg = lazy_gettext("“%(value)s” is not a number (search field “%(field)s”).",
                           value=value, field=label)
    elif field.type is FieldType.DATETIME:
        # Translators: a search criterion value; %(field)s is the field's display name.
        msg = lazy_gettext("“%(value)s” is not a date (search field “%(field)s”). "
                           "Use YYYY-MM-DD or YYYY-MM-DD HH:MM.", value=value, field=label)
    else:
        # Translators: a search criterion value for a checkbox field.
        msg = lazy_gettext("“%(value)s” is neither yes nor no (search field “%(field)s”).",
                           value=value, field=label)
    return ConnectorError(msg, f"bad value {value!r} for {field.key} ({field.type.value})")


# ------------------------------------------------------------------ compiling


def compile_restrictions(fields: Sequence[FieldMeta], restrictions: Sequence[Restriction],
                         resolve_list: ListResolver | None = None) -> Predicate:
    """A predicate AND-ing ``restrictions`` over rows keyed by field key.

    ``fields`` are the searchable fields of the actor type (key lookup is
    case-insensitive). Raises :class:`ConnectorError` for a criterion that
    cannot be evaluated; the predicate raises :class:`BadValue` when a row
    holds a value that does not fit its field's type.
    """
    by_key = {f.key.upper(): f for f in fields if f.type in OPERATORS_BY_TYPE}
    resolve = resolve_list or (lambda _list, value: value.casefold())
    tests = [_compile_one(r, by_key, resolve) for r in restrictions]
    if not tests:
        return lambda _row: True
    return lambda row: all(test(row) for test in tests)


def _compile_one(restriction: Restriction, by_key: Mapping[str, FieldMeta],
                 resolve: ListResolver) -> Predicate:
    field = by_key.get(str(restriction.field).strip().upper())
    if field is None:
        # Translators: %(field)s is the field key given in a search criterion.
        msg = lazy_gettext("There is no searchable field %(field)s.", field=restriction.field)
        raise ConnectorError(msg, f"unknown or unsearchable field {restriction.field!r}")
    try:
        op = Operator(restriction.operator)
    except ValueError:
        # Translators: %(operator)s is the operator given in a search criterion.
        msg = lazy_gettext("Unknown search operator: %(operator)s.",
                           operator=restriction.operator)
        raise ConnectorError(msg, f"unknown operator {restriction.operator!r}") from None
    if op not in field.operators:
        # Translators: %(operator)s is an operator name ("begins with"), %(field)s a field name.
        msg = lazy_gettext("The operator “%(operator)s” cannot be used with the field "
                           "“%(field)s”.", operator=OPERATOR_LABELS[op],
                           field=_field_label(field))
        raise ConnectorError(msg, f"operator {op.value!r} not allowed for {field.key} "
                                    f"({field.type.value})")
    values = tuple(restriction.values)
    _check_value_count(field, op, values)
    if field.type is FieldType.TEXT:
        return _text_test(field.key, op, values)
    if field.type in NUMBER_TYPES:
        return _number_test(field, op, values)
    if field.type is FieldType.CHECKBOX:
        return _checkbox_test(field, values[0])
    if field.type is FieldType.LIST:
        return _list_test(field, op, values, resolve)
    return _datetime_test(field, op, values)


def _check_value_count(field: FieldMeta, op: Operator, values: tuple[Any, ...]) -> None:
    label = _field_label(field)
    if op is Operator.BETWEEN:
        if len(values) == 2:
            return
        # Translators: %(field)s is the display name of a search field.
        msg = lazy_gettext("“Between” needs two values, from and to, for the field "
                           "“%(field)s”.", field=label)
    elif op in (Operator.ONEOF, Operator.NOTONEOF):
        if values:
            return
        # Translators: %(field)s is the display name of a list search field.
        msg = lazy_gettext("Choose at least one value for the field “%(field)s”.", field=label)
    else:
        if len(values) == 1:
            return
        # Translators: %(field)s is the display name of a search field.
        msg = lazy_gettext("Enter one value for the field “%(field)s”.", field=label)
    raise ConnectorError(msg, f"{op.value} on {field.key} got {len(values)} value(s)")


def _ordered(low: Any, high: Any) -> tuple[Any, Any]:
    return (high, low) if high < low else (low, high)


def _text_test(key: str, op: Operator, values: tuple[Any, ...]) -> Predicate:
    wanted = [(to_text(v) or "").casefold() for v in values]
    a = wanted[0]

    def text(row: Row) -> str:
        return (to_text(row.get(key)) or "").casefold()

    if op is Operator.BETWEEN:
        low, high = _ordered(wanted[0], wanted[1])
        return lambda row: low <= text(row) <= high
    checks: dict[Operator, Callable[[str], bool]] = {
        Operator.EQ: lambda v: v == a,
        Operator.ISNOT: lambda v: v != a,
        Operator.BEGINS: lambda v: v.startswith(a),
        Operator.CONTAINS: lambda v: a in v,
        Operator.ENDS: lambda v: v.endswith(a),
        Operator.NOTBEGINS: lambda v: not v.startswith(a),
        Operator.NOTCONTAINS: lambda v: a not in v,
        Operator.NOTENDS: lambda v: not v.endswith(a),
    }
    check = checks[op]
    return lambda row: check(text(row))


def _stored(field: FieldMeta, row: Row, parse: Callable[[Any], Any]) -> Any:
    raw = row.get(field.key)
    try:
        return parse(raw)
    except (ValueError, OverflowError) as exc:
        raise BadValue(field.key, raw, field.type) from exc


def _criterion_values(field: FieldMeta, values: tuple[Any, ...],
                      parse: Callable[[Any], Any]) -> list[Any]:
    parsed = []
    for value in values:
        try:
            result = parse(value)
        except (ValueError, OverflowError):
            result = None
        if result is None:
            raise _value_error(field, value)
        parsed.append(result)
    return parsed


_COMPARE: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.EQ: lambda v, a: v == a,
    Operator.NE: lambda v, a: v != a,
    Operator.GT: lambda v, a: v > a,
    Operator.LT: lambda v, a: v < a,
    Operator.GE: lambda v, a: v >= a,
    Operator.LE: lambda v, a: v <= a,
    Operator.AFTER: lambda v, a: v > a,
    Operator.BEFORE: lambda v, a: v < a,
    Operator.AFTER_OR_EQUAL: lambda v, a: v >= a,
    Operator.BEFORE_OR_EQUAL: lambda v, a: v <= a,
}


def _number_test(field: FieldMeta, op: Operator, values: tuple[Any, ...]) -> Predicate:
    wanted = _criterion_values(field, values, parse_number)

    def test(row: Row) -> bool:
        number = _stored(field, row, parse_number)
        if number is None:
            return False
        if op is Operator.BETWEEN:
            low, high = _ordered(*wanted)
            return low <= number <= high
        return _COMPARE[op](number, wanted[0])

    return test


def _checkbox_test(field: FieldMeta, value: Any) -> Predicate:
    wanted = _criterion_values(field, (value,), parse_bool)[0]
    return lambda row: bool(_stored(field, row, parse_bool)) is wanted


def _list_test(field: FieldMeta, op: Operator, values: tuple[Any, ...],
               resolve: ListResolver) -> Predicate:
    wanted = {resolve(field.list_name, to_text(v) or "") for v in values}
    negate = op is Operator.NOTONEOF

    def test(row: Row) -> bool:
        value = to_text(row.get(field.key))
        found = value is not None and resolve(field.list_name, value) in wanted
        return found is not negate

    return test


def _moment_key(stored: datetime, bound: date | datetime) -> tuple[Any, Any]:
    """Compare whole days for a date bound (the stored value's own calendar
    day), instants for a datetime bound."""
    if isinstance(bound, datetime):
        return stored, bound
    return stored.date(), bound


def _datetime_test(field: FieldMeta, op: Operator, values: tuple[Any, ...]) -> Predicate:
    bounds = _criterion_values(field, values, parse_moment)
    if op is Operator.BETWEEN:
        def order_key(b: date | datetime) -> datetime:
            return b if isinstance(b, datetime) else datetime.combine(b, time.min, UTC)

        low, high = sorted(bounds, key=order_key)

        def test(row: Row) -> bool:
            stored = _stored(field, row, parse_datetime)
            if stored is None:
                return False
            return (_COMPARE[Operator.GE](*_moment_key(stored, low))
                    and _COMPARE[Operator.LE](*_moment_key(stored, high)))

        return test

    compare, bound = _COMPARE[op], bounds[0]

    def test_one(row: Row) -> bool:
        stored = _stored(field, row, parse_datetime)
        return stored is not None and compare(*_moment_key(stored, bound))

    return test_one
