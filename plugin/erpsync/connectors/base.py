"""The connector protocol: how one ERP turns into actors.

A connector is a class with a ``name`` and a constructor taking the connection's
config dict. It reports failures as :class:`ConnectorError` (a value with a
localizable user explanation and a technical one), never as a stray exception:
the engine and the dialogs catch :class:`ConnectorError` and show its
``user_message`` in the admin's language.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ..i18n import LazyString, lazy_gettext, lazy_pgettext


class ActorType(enum.StrEnum):
    """The three kinds of ERP actor an admin can import."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    PERSON = "person"

    @property
    def is_company(self) -> bool:
        return self is not ActorType.PERSON

    @property
    def label(self) -> LazyString:
        """Plural label as in the help pages: customers / suppliers / persons."""
        return ACTOR_TYPE_LABELS[self]


ACTOR_TYPE_LABELS: dict[ActorType, LazyString] = {
    ActorType.CUSTOMER: lazy_pgettext("actor type", "Customers"),
    ActorType.SUPPLIER: lazy_pgettext("actor type", "Suppliers"),
    ActorType.PERSON: lazy_pgettext("actor type", "Persons"),
}


class FieldType(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DOUBLE = "double"
    CHECKBOX = "checkbox"
    LIST = "list"
    DATETIME = "datetime"
    PASSWORD = "password"


class FieldAccess(enum.StrEnum):
    NORMAL = "normal"
    MANDATORY = "mandatory"
    READ_ONLY = "readonly"


class Operator(enum.StrEnum):
    """Search operators sent to connectors (DESIGN.md, "Search operators")."""

    EQ = "="
    NE = "!="
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="
    BEGINS = "begins"
    CONTAINS = "contains"
    ENDS = "ends"
    NOTBEGINS = "notbegins"
    NOTCONTAINS = "notcontains"
    NOTENDS = "notends"
    ISNOT = "isnot"
    BETWEEN = "between"
    ONEOF = "oneof"
    NOTONEOF = "notoneof"
    BEFORE = "before"
    AFTER = "after"
    BEFORE_OR_EQUAL = "beforeOrEqual"
    AFTER_OR_EQUAL = "afterOrEqual"


_op = Operator
#: Which operators each searchable field type accepts, in the order shown to the admin.
OPERATORS_BY_TYPE: dict[FieldType, tuple[Operator, ...]] = {
    FieldType.TEXT: (_op.EQ, _op.BEGINS, _op.CONTAINS, _op.ENDS, _op.NOTBEGINS, _op.NOTCONTAINS,
                     _op.NOTENDS, _op.ISNOT, _op.BETWEEN),
    FieldType.INTEGER: (_op.EQ, _op.GT, _op.LT, _op.GE, _op.LE, _op.NE, _op.BETWEEN),
    FieldType.DOUBLE: (_op.EQ, _op.GT, _op.LT, _op.GE, _op.LE, _op.NE, _op.BETWEEN),
    FieldType.CHECKBOX: (_op.EQ,),
    FieldType.LIST: (_op.ONEOF, _op.NOTONEOF),
    FieldType.DATETIME: (_op.EQ, _op.BEFORE, _op.AFTER, _op.BEFORE_OR_EQUAL, _op.AFTER_OR_EQUAL,
                         _op.BETWEEN),
}
del _op

OPERATOR_LABELS: dict[Operator, LazyString] = {
    Operator.EQ: lazy_pgettext("operator", "equals"),
    Operator.NE: lazy_pgettext("operator", "is not"),
    Operator.GT: lazy_pgettext("operator", "greater than"),
    Operator.LT: lazy_pgettext("operator", "less than"),
    Operator.GE: lazy_pgettext("operator", "greater than or equal to"),
    Operator.LE: lazy_pgettext("operator", "less than or equal to"),
    Operator.BEGINS: lazy_pgettext("operator", "begins with"),
    Operator.CONTAINS: lazy_pgettext("operator", "contains"),
    Operator.ENDS: lazy_pgettext("operator", "ends with"),
    Operator.NOTBEGINS: lazy_pgettext("operator", "does not begin with"),
    Operator.NOTCONTAINS: lazy_pgettext("operator", "does not contain"),
    Operator.NOTENDS: lazy_pgettext("operator", "does not end with"),
    Operator.ISNOT: lazy_pgettext("operator", "is not"),
    Operator.BETWEEN: lazy_pgettext("operator", "between"),
    Operator.ONEOF: lazy_pgettext("operator", "one of"),
    Operator.NOTONEOF: lazy_pgettext("operator", "not one of"),
    Operator.BEFORE: lazy_pgettext("operator", "before"),
    Operator.AFTER: lazy_pgettext("operator", "after"),
    Operator.BEFORE_OR_EQUAL: lazy_pgettext("operator", "before or on"),
    Operator.AFTER_OR_EQUAL: lazy_pgettext("operator", "on or after"),
}


@dataclass(frozen=True)
class FieldMeta:
    """Metadata of one connector field (or one connection config field).

    ``display_name`` may be a plain string, a :class:`LazyString`, or a dict of
    translations keyed by language code ({"en": ..., "nl": ..., "no": ...});
    :func:`erpsync.i18n.localize` picks the admin's language.
    """

    key: str
    display_name: Any
    type: FieldType = FieldType.TEXT
    list_name: str | None = None
    max_length: int | None = None
    access: FieldAccess = FieldAccess.NORMAL
    default: str | None = None
    help_text: Any = None

    @property
    def operators(self) -> tuple[Operator, ...]:
        return OPERATORS_BY_TYPE.get(self.type, ())


@dataclass(frozen=True)
class ListItem:
    """One value of a connector list (e.g. a category)."""

    key: str
    name: Any  # str, LazyString or {lang: str}


@dataclass(frozen=True)
class Restriction:
    """One search criterion: ``field op values`` (two values for ``between``,
    several for ``oneof``/``notoneof``, one otherwise)."""

    field: str
    operator: Operator
    values: tuple[str, ...]


@dataclass
class ErpActor:
    """One actor as the ERP sees it.

    ``fields`` is keyed by the well-known field keys (NAME, NUMBER1, ...).
    ``parent_type``/``parent_key`` name a person's company in the ERP.
    """

    actor_type: ActorType
    key: str
    fields: dict[str, Any] = field(default_factory=dict)
    last_modified: datetime | None = None
    parent_type: ActorType | None = None
    parent_key: str | None = None


@dataclass
class SearchPage:
    """One page of search results; ``total`` is None when the ERP cannot count."""

    actors: list[ErpActor]
    total: int | None
    offset: int
    limit: int


class Severity(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class ConnectorError(Exception):
    """A failure reported by a connector, as a value the dialogs can show.

    ``user_message`` is a :class:`LazyString` (or str) rendered in the admin's
    language; ``technical`` is for logs and the "details" disclosure.
    """

    def __init__(self, user_message: Any, technical: str = "",
                 severity: Severity = Severity.ERROR) -> None:
        super().__init__(str(technical or user_message))
        self.user_message = user_message
        self.technical = technical
        self.severity = severity


@dataclass
class TestResult:
    ok: bool
    message: Any
    technical: str = ""


class Connector:
    """Base class of all connectors. Subclasses override what they support.

    ``name`` is the registry key used in ``erpsync connections add --connector``.
    """

    name: ClassVar[str] = ""
    display_name: ClassVar[Any] = ""

    def __init__(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)

    @classmethod
    def config_fields(cls) -> list[FieldMeta]:
        """The fields of a connection's configuration form."""
        return []

    @classmethod
    def config_list_items(cls, list_name: str) -> list[ListItem]:
        """Choices of a list-type config field (its ``list_name``); the
        connection form shows a text box when there are none."""
        return []

    def test(self) -> TestResult:
        """Check the connection (reachable, credentials right)."""
        return TestResult(ok=True, message=lazy_gettext("Connection OK"))

    def actor_types(self) -> list[ActorType]:
        """The actor types this connection supports."""
        raise NotImplementedError

    def fields(self, actor_type: ActorType) -> list[FieldMeta]:
        """All fields of an actor type."""
        raise NotImplementedError

    def searchable_fields(self, actor_type: ActorType) -> list[FieldMeta]:
        """Fields that can be used in search criteria."""
        return [f for f in self.fields(actor_type) if f.type in OPERATORS_BY_TYPE]

    def search(self, actor_type: ActorType, restrictions: list[Restriction],
               offset: int = 0, limit: int = 50) -> SearchPage:
        """One page of actors matching all restrictions (AND)."""
        raise NotImplementedError

    def iter_search(self, actor_type: ActorType, restrictions: list[Restriction],
                    page_size: int = 500) -> Iterator[ErpActor]:
        """Every match, streamed page by page (never more than a page in memory)."""
        offset = 0
        while True:
            page = self.search(actor_type, restrictions, offset=offset, limit=page_size)
            yield from page.actors
            if len(page.actors) < page_size:
                return
            offset += page_size

    def get_actors(self, actor_type: ActorType, keys: Iterable[str]) -> list[ErpActor]:
        """Actors by ERP key; unknown keys are left out."""
        raise NotImplementedError

    def changed_since(self, actor_type: ActorType, since: datetime) -> Iterator[ErpActor]:
        """Actors changed after ``since``."""
        raise NotImplementedError

    def list_items(self, list_name: str) -> list[ListItem]:
        """Values of a list field (e.g. categories)."""
        return []
