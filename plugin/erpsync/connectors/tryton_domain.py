"""Search criteria (DESIGN.md operators) as Tryton search domains.

Each searchable field of the Tryton connector has a :class:`Target`: the
column(s) it lives in, on ``party.party`` itself or on a related x2many record
(an address, a contact mechanism, an identifier, a relation). Criteria are
validated by :func:`erpsync.connectors.restrictions.compile_restrictions` first,
so every connector rejects the same bad input with the same localized message;
this module only builds the domain.

Translation rules:

* text ``=``/``isnot``: ``ilike``/``not ilike`` with the value escaped (Tryton's
  ``=`` is case-sensitive, DESIGN.md wants case-insensitive matching);
  ``begins``/``contains``/``ends`` add ``%`` wildcards, with ``%``, ``_`` and
  ``\\`` in the value escaped by a backslash (Tryton's LIKE escape character).
  The negatives use ``not ilike``, never a negated positive.
* fields on related records: ``[relation, "where", [...]]`` for the positives and
  ``[relation, "not where", [...]]`` for the negatives, so "city does not contain
  X" means *no* address of the party matches (a party without address matches),
  and the fixed filters (contact type = email) hold on the same record.
* ``between``: two clauses ``>=`` and ``<=`` (inclusive, reversed bounds swapped).
  For text this compares as the database sorts, which is case-sensitive.
* number: ``=``, ``!=``, ``<``, ``>``, ``<=``, ``>=``.
* datetime: values written as a date cover that whole day (UTC), values with a
  time are instants (naive means UTC); both are converted to the server's
  naive local time, encoded as Tryton ``{"__class__": "datetime"}`` objects.
* list (categories): ``oneof``/``notoneof`` become ``where``/``not where`` over
  ``categories`` with ``name in [...]``.
* checkbox on ``active``: archived parties are only found when the context has
  ``active_test: false`` (:attr:`Translation.include_inactive`).

SQLite caveat: trytond on SQLite implements ``ilike`` as ``UPPER(a) LIKE
UPPER(b)`` and SQLite's ``UPPER`` only folds ASCII letters, so "TROMSØ" would
not find "Tromsø". When a value holds non-ASCII letters we therefore OR a few
case variants of it (as typed, lower, upper, title, capitalized); on PostgreSQL
the variants are redundant and harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..i18n import LazyString, lazy_gettext, localize
from .base import ConnectorError, FieldMeta, FieldType, Operator, Restriction
from .restrictions import (
    compile_restrictions,
    parse_bool,
    parse_moment,
    parse_number,
    to_text,
)

Domain = list[Any]

_POSITIVE_TEXT = {Operator.EQ: "{}", Operator.BEGINS: "{}%", Operator.CONTAINS: "%{}%",
                  Operator.ENDS: "%{}"}
_NEGATIVE_TEXT = {Operator.ISNOT: Operator.EQ, Operator.NOTBEGINS: Operator.BEGINS,
                  Operator.NOTCONTAINS: Operator.CONTAINS, Operator.NOTENDS: Operator.ENDS}
_COMPARISONS = {Operator.EQ: "=", Operator.NE: "!=", Operator.GT: ">", Operator.LT: "<",
                Operator.GE: ">=", Operator.LE: "<="}
_INSTANT_OPERATORS = {Operator.EQ: "=", Operator.BEFORE: "<", Operator.AFTER: ">",
                      Operator.BEFORE_OR_EQUAL: "<=", Operator.AFTER_OR_EQUAL: ">="}


@dataclass(frozen=True)
class Target:
    """Where a searchable field lives in ``party.party``.

    ``columns`` are compared with the value (OR-ed when several); ``compact_columns``
    with the value stripped of spaces and punctuation (identifier codes are
    stored formatted, ``code_compact`` unformatted). ``relation`` names the
    x2many field of the party holding the columns (None: on the party), and
    ``where`` are fixed leaves the same related record must satisfy.
    """

    columns: tuple[str, ...]
    relation: str | None = None
    where: tuple[tuple[Any, ...], ...] = ()
    compact_columns: tuple[str, ...] = ()


@dataclass
class Translation:
    """The domain of a set of criteria and whether archived parties count."""

    domain: Domain = field(default_factory=list)
    include_inactive: bool = False


def escape_like(value: str) -> str:
    """``value`` with LIKE wildcards escaped by a backslash."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(op: Operator, value: str) -> str:
    """The ``ilike`` pattern of a positive text operator."""
    return _POSITIVE_TEXT[op].format(escape_like(value))


def case_variants(value: str) -> list[str]:
    """``value`` plus case variants when it has non-ASCII letters (see the
    module docstring: SQLite's UPPER folds ASCII only)."""
    variants = [value]
    if any(not ch.isascii() and ch.lower() != ch.upper() for ch in value):
        for variant in (value.lower(), value.upper(), value.title(), value.capitalize()):
            if variant not in variants:
                variants.append(variant)
    return variants


def compact(value: str) -> str:
    """An identifier without separators, upper-cased ("no 831 120.347" -> "NO831120347")."""
    return "".join(ch for ch in value if ch.isalnum()).upper()


def compact_variants(value: str, op: Operator = Operator.EQ) -> list[str]:
    """Compact forms to compare with ``code_compact``. python-stdnum drops the
    country prefix of VAT numbers ("NL285238577B24" is stored as "285238577B24"),
    so for ``=`` and ``begins`` the value without its prefix is tried too."""
    code = compact(value)
    variants = [code] if code else []
    if (op in (Operator.EQ, Operator.BEGINS) and len(code) > 2 and code[:2].isalpha()
            and code[2].isdigit()):
        variants.append(code[2:])
    return variants


def _or(leaves: Sequence[Any]) -> Any:
    return leaves[0] if len(leaves) == 1 else ["OR", *leaves]


def _on_target(target: Target, subdomain: Any, negative: bool = False) -> Any:
    """``subdomain`` (over the target's record) as a clause on the party."""
    if target.relation is None:
        return subdomain
    return [target.relation, "not where" if negative else "where",
            [*map(list, target.where), subdomain]]


def _not_text_domain(target: Target, op: Operator, value: str) -> Any:
    """Negative text operator on columns of the party itself: AND of ``not ilike``."""
    leaves = [[column, "not ilike", like_pattern(op, variant)]
              for column in target.columns for variant in case_variants(value)]
    leaves += [[column, "not ilike", like_pattern(op, code)]
               for column in target.compact_columns for code in compact_variants(value, op)]
    return leaves[0] if len(leaves) == 1 else leaves


def text_clause(target: Target, op: Operator, values: Sequence[str]) -> Any:
    """The clause of one text criterion."""
    if op is Operator.BETWEEN:
        low, high = sorted(values[:2], key=str.casefold)
        column = target.columns[0]
        return _on_target(target, [[column, ">=", low], [column, "<=", high]])
    value = values[0]
    positive = _NEGATIVE_TEXT.get(op, op)
    if positive is not op and target.relation is None:
        return _not_text_domain(target, positive, value)
    leaves = [[column, "ilike", like_pattern(positive, variant)]
              for column in target.columns for variant in case_variants(value)]
    leaves += [[column, "ilike", like_pattern(positive, code)]
               for column in target.compact_columns for code in compact_variants(value, positive)]
    return _on_target(target, _or(leaves), negative=positive is not op)


def number_clause(target: Target, op: Operator, numbers: Sequence[int | float]) -> Any:
    column = target.columns[0]
    if op is Operator.BETWEEN:
        low, high = sorted(numbers[:2])
        return _on_target(target, [[column, ">=", low], [column, "<=", high]])
    return _on_target(target, [column, _COMPARISONS[op], numbers[0]])


def _bounds(moment: dt.date | dt.datetime, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Server-local naive [start, end) of a criterion value: the whole UTC day for
    a date, the instant itself (start == end) for a datetime."""
    if isinstance(moment, dt.datetime):
        instant = moment.astimezone(tz).replace(tzinfo=None)
        return instant, instant
    start = dt.datetime.combine(moment, dt.time.min, dt.UTC)
    end = start + dt.timedelta(days=1)
    return (start.astimezone(tz).replace(tzinfo=None),
            end.astimezone(tz).replace(tzinfo=None))


def datetime_clause(target: Target, op: Operator, moments: Sequence[dt.date | dt.datetime],
                    tz: dt.tzinfo) -> Any:
    column = target.columns[0]
    if op is Operator.BETWEEN:
        def sort_key(moment: dt.date | dt.datetime) -> dt.datetime:
            return _bounds(moment, dt.UTC)[0]

        low, high = sorted(moments[:2], key=sort_key)
        start, _ = _bounds(low, tz)
        end_start, end = _bounds(high, tz)
        upper = [column, "<=", end] if end == end_start else [column, "<", end]
        return _on_target(target, [[column, ">=", start], upper])
    start, end = _bounds(moments[0], tz)
    if start == end:  # an instant
        return _on_target(target, [column, _INSTANT_OPERATORS[op], start])
    clause: Any = {
        Operator.EQ: [[column, ">=", start], [column, "<", end]],
        Operator.BEFORE: [column, "<", start],
        Operator.AFTER: [column, ">=", end],
        Operator.BEFORE_OR_EQUAL: [column, "<", end],
        Operator.AFTER_OR_EQUAL: [column, ">=", start],
    }[op]
    return _on_target(target, clause)


def list_clause(target: Target, op: Operator, values: Sequence[str]) -> Any:
    subdomain = [target.columns[0], "in", list(values)]
    return _on_target(target, subdomain, negative=op is Operator.NOTONEOF)


def _not_whole_number(meta: FieldMeta, value: str) -> ConnectorError:
    # Translators: a search criterion value; %(field)s is the field's display name.
    msg = lazy_gettext("“%(value)s” is not a whole number (search field “%(field)s”).",
                       value=value, field=LazyString(localize, meta.display_name))
    return ConnectorError(msg, f"{meta.key}: {value!r} is not an integer")


def restriction_clause(meta: FieldMeta, target: Target, restriction: Restriction,
                       tz: dt.tzinfo) -> tuple[Any, bool]:
    """The clause of one (already validated) criterion, and whether it needs
    archived parties (``active`` = unchecked)."""
    op = Operator(restriction.operator)
    values = [to_text(v) or "" for v in restriction.values]
    if meta.type is FieldType.TEXT:
        return text_clause(target, op, values), False
    if meta.type in (FieldType.INTEGER, FieldType.DOUBLE):
        numbers: list[int | float] = []
        for value in values:
            number = parse_number(value)
            if number is None:
                raise _not_whole_number(meta, value)
            if meta.type is FieldType.INTEGER:
                if not number.is_integer():
                    raise _not_whole_number(meta, value)
                number = int(number)
            numbers.append(number)
        return number_clause(target, op, numbers), False
    if meta.type is FieldType.DATETIME:
        return datetime_clause(target, op, [parse_moment(v) for v in values], tz), False
    if meta.type is FieldType.CHECKBOX:
        wanted = bool(parse_bool(values[0]))
        clause = _on_target(target, [target.columns[0], "=", wanted])
        return clause, target.relation is None and target.columns[0] == "active"
    if meta.type is FieldType.LIST:
        return list_clause(target, op, values), False
    raise ConnectorError(lazy_gettext("This field cannot be searched."),
                         f"no domain translation for field type {meta.type}")


def translate(fields: Sequence[tuple[FieldMeta, Target]], restrictions: Sequence[Restriction],
              tz: dt.tzinfo | str = "UTC") -> Translation:
    """The AND of all ``restrictions`` as a Tryton domain.

    ``fields`` are the searchable fields with their targets. Raises
    :class:`ConnectorError` (localized) for an unknown field, an operator the
    field's type does not allow, a wrong number of values or a value that does
    not parse.
    """
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    metas = [meta for meta, _ in fields]
    compile_restrictions(metas, restrictions)  # validation only: raises ConnectorError
    by_key = {meta.key.upper(): (meta, target) for meta, target in fields}
    result = Translation()
    for restriction in restrictions:
        meta, target = by_key[str(restriction.field).strip().upper()]
        clause, inactive = restriction_clause(meta, target, restriction, tz)
        result.domain.append(clause)
        result.include_inactive |= inactive
    return result
