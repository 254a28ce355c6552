"""Search criteria rows of the **Search ERP** dialog: reading them from a query
string or form, writing them back, and turning them into connector
:class:`~erpsync.connectors.base.Restriction` values checked against the
connector's declared searchable fields.

Rows travel as ``f.N``, ``op.N``, ``v.N`` (repeated for list values) and
``v2.N`` (the second value of *between*). Hand-written links may also use the
plain repeated form ``f=…&op=…&v=…[&v2=…]``, aligned by position.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..connectors.base import (
    OPERATOR_LABELS,
    OPERATORS_BY_TYPE,
    ConnectorError,
    FieldMeta,
    FieldType,
    ListItem,
    Operator,
    Restriction,
)
from ..connectors.restrictions import compile_restrictions
from ..i18n import LazyString, lazy_gettext, localize

#: More rows than this are not read (a request cannot make the dialog huge).
MAX_ROWS = 20
_INDEXED = re.compile(r"^(f|op|v|v2)\.(\d{1,2})$")
_LIST_OPERATORS = (Operator.ONEOF, Operator.NOTONEOF)


class MultiParams(Protocol):
    """Query params or form data: ``getlist`` and ``multi_items``."""

    def getlist(self, key: str) -> list[Any]: ...
    def multi_items(self) -> list[tuple[str, Any]]: ...


@dataclass
class CriterionRow:
    """One criterion as the admin entered it (strings, maybe invalid)."""

    field: str = ""
    operator: str = ""
    values: list[str] = dataclasses.field(default_factory=list)
    value2: str = ""
    #: Localized problem with this row, shown next to it.
    error: Any = None

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""

    @property
    def is_blank(self) -> bool:
        """No field chosen: the row is ignored."""
        return not self.field


class CriteriaError(Exception):
    """A criterion names a field or operator the connector does not declare:
    a forged request or an outdated page (``message`` is localized)."""

    def __init__(self, message: Any, technical: str = "") -> None:
        super().__init__(technical or str(message))
        self.message = message
        self.technical = technical


def parse_rows(params: MultiParams) -> list[CriterionRow]:
    """The criterion rows of a request, in order, blank rows dropped."""
    indexed: dict[int, CriterionRow] = {}
    for name, raw in params.multi_items():
        match = _INDEXED.match(name)
        if not match or not isinstance(raw, str):
            continue
        part, index = match.group(1), int(match.group(2))
        if index not in indexed and len(indexed) >= MAX_ROWS:
            continue
        row = indexed.setdefault(index, CriterionRow())
        value = raw.strip()
        if part == "f":
            row.field = value
        elif part == "op":
            row.operator = value
        elif part == "v":
            if value:
                row.values.append(value)
        else:
            row.value2 = value
    rows = [indexed[i] for i in sorted(indexed)]
    plain = [_text(v) for v in params.getlist("f")]
    ops, vals, vals2 = (list(map(_text, params.getlist(k))) for k in ("op", "v", "v2"))
    for i, field_key in enumerate(plain[: max(0, MAX_ROWS - len(rows))]):
        value = vals[i] if i < len(vals) else ""
        rows.append(CriterionRow(field=field_key, operator=ops[i] if i < len(ops) else "",
                                 values=[value] if value else [],
                                 value2=vals2[i] if i < len(vals2) else ""))
    return [r for r in rows if not r.is_blank]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def encode_rows(rows: Sequence[CriterionRow]) -> list[tuple[str, str]]:
    """Query pairs for ``rows`` (for hidden fields and pager links)."""
    pairs: list[tuple[str, str]] = []
    for index, row in enumerate(rows):
        pairs += [(f"f.{index}", row.field), (f"op.{index}", row.operator)]
        pairs += [(f"v.{index}", value) for value in row.values]
        if row.value2:
            pairs.append((f"v2.{index}", row.value2))
    return pairs


# ------------------------------------------------------------------ checking


def build_restrictions(rows: Sequence[CriterionRow], fields: Sequence[FieldMeta],
                       list_items: Mapping[str, Sequence[ListItem]]) -> list[Restriction]:
    """Restrictions for the non-blank ``rows``.

    Raises :class:`CriteriaError` when a row names a field that is not among
    ``fields`` (the connector's searchable fields) or an operator the field's
    type does not allow. Value problems (not a number, missing second value,
    unknown list value) are set on the row's ``error``; such rows give no
    restriction, so check :func:`has_errors` before searching.
    """
    by_key = {f.key: f for f in fields if f.type in OPERATORS_BY_TYPE}
    restrictions = []
    for row in rows:
        meta = by_key.get(row.field)
        if meta is None:
            # Translators: %(field)s is a field key sent in a search request.
            raise CriteriaError(lazy_gettext(
                "“%(field)s” is not a searchable field of this actor type. Open the "
                "Search ERP dialog again and choose the field from the list.",
                field=row.field), f"unknown search field {row.field!r}")
        operator = _operator_of(row, meta)
        row.error = None
        restriction = _restriction(row, meta, operator, list_items.get(meta.list_name or ""))
        if restriction is not None:
            restrictions.append(restriction)
    return restrictions


def has_errors(rows: Sequence[CriterionRow]) -> bool:
    return any(row.error for row in rows)


def _operator_of(row: CriterionRow, meta: FieldMeta) -> Operator:
    try:
        operator = Operator(row.operator)
    except ValueError:
        operator = None
    if operator is None or operator not in meta.operators:
        # Translators: %(operator)s is an operator sent in a search request,
        # %(field)s the display name of a search field.
        raise CriteriaError(lazy_gettext(
            "The operator “%(operator)s” cannot be used with the field “%(field)s”.",
            operator=OPERATOR_LABELS.get(operator, row.operator) if operator else row.operator,
            field=field_name(meta)),
            f"operator {row.operator!r} not allowed for {meta.key} ({meta.type.value})")
    return operator


def _restriction(row: CriterionRow, meta: FieldMeta, operator: Operator,
                 items: Sequence[ListItem] | None) -> Restriction | None:
    if operator in _LIST_OPERATORS:
        keys = []
        for value in row.values:
            key = _list_key(value, items)
            if key is None:
                # Translators: %(value)s is a typed value, %(field)s a list field's name.
                row.error = lazy_gettext("“%(value)s” is not a value of the list “%(field)s”.",
                                         value=value, field=field_name(meta))
                return None
            keys.append(key)
        values: tuple[str, ...] = tuple(dict.fromkeys(keys))
        if not values:
            row.error = lazy_gettext("Choose at least one value.")
            return None
    elif operator is Operator.BETWEEN:
        if not row.value or not row.value2:
            row.error = lazy_gettext("Enter both values: from and to.")
            return None
        values = (row.value, row.value2)
    else:
        if not row.value:
            row.error = lazy_gettext("Enter a value, or clear the field to drop this row.")
            return None
        values = (row.value,)
    restriction = Restriction(field=meta.key, operator=operator, values=values)
    try:
        # The connector's own checks (numbers, dates, yes/no), before any ERP call.
        compile_restrictions([meta], [restriction])
    except ConnectorError as exc:
        row.error = exc.user_message
        return None
    return restriction


def _list_key(value: str, items: Sequence[ListItem] | None) -> str | None:
    """A list item's key from its key or its name in any language; any value
    when the connector lists no items (it resolves them itself)."""
    if not items:
        return value
    folded = value.casefold()
    for item in items:
        if item.key == value or item.key.casefold() == folded:
            return item.key
    for item in items:
        names = item.name.values() if isinstance(item.name, dict) else [localize(item.name)]
        if any(str(n).casefold() == folded for n in names):
            return item.key
    return None


# ------------------------------------------------------------------ display


def field_name(meta: FieldMeta) -> LazyString:
    """A field's display name, rendered in the admin's language when shown."""
    return LazyString(localize, meta.display_name)


def operator_choices(meta: FieldMeta | None) -> list[tuple[str, Any, list[str]]]:
    """(value, label, field types) of the operators a row offers: the field's
    own operators, or every operator when no field is chosen yet."""
    if meta is not None:
        return [(op.value, OPERATOR_LABELS[op], [meta.type.value]) for op in meta.operators]
    types_of: dict[Operator, list[str]] = {}
    for ftype, ops in OPERATORS_BY_TYPE.items():
        for op in ops:
            types_of.setdefault(op, []).append(ftype.value)
    return [(op.value, OPERATOR_LABELS[op], types) for op, types in types_of.items()]


def input_type(meta: FieldMeta | None) -> str:
    """The HTML input type of a row's value."""
    if meta is None:
        return "text"
    return {FieldType.INTEGER: "number", FieldType.DOUBLE: "number",
            FieldType.DATETIME: "date"}.get(meta.type, "text")
