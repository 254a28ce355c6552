"""Tables of the CRM (companies, persons, communications, lists, selections)
and of the import engine (connections, imports, staged rows, ERP links,
before-images). SQLAlchemy Core: the engine works in set statements."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from ..db import metadata
from .fieldmap import COMPANY_COLUMNS, PERSON_COLUMNS, VALUE_COLUMNS

# ---------------------------------------------------------------- the CRM

def _text_columns(spec: dict[str, int]) -> list[Column]:
    return [Column(name, String(length)) for name, length in spec.items()]


list_item = Table(
    "list_item", metadata,
    Column("id", Integer, primary_key=True),
    Column("list_name", String(50), nullable=False),  # "category", "business"
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    UniqueConstraint("list_name", "name_key"),
)

company = Table(
    "company", metadata,
    Column("id", Integer, primary_key=True),
    *_text_columns(COMPANY_COLUMNS),
    Column("category_id", Integer, ForeignKey("list_item.id", ondelete="SET NULL")),
    Column("business_id", Integer, ForeignKey("list_item.id", ondelete="SET NULL")),
    # Normalised match keys, kept in step with the values by the engine.
    Column("name_key", String(200), index=True),
    Column("dept_key", String(200)),
    Column("vat_key", String(50), index=True),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)
Index("ix_company_code", company.c.code)
Index("ix_company_number", company.c.number)

person = Table(
    "person", metadata,
    Column("id", Integer, primary_key=True),
    Column("company_id", Integer, ForeignKey("company.id", ondelete="SET NULL"), index=True),
    *_text_columns(PERSON_COLUMNS),
    Column("name_key", String(300), index=True),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)
Index("ix_person_number", person.c.number)

#: Phones, mobiles, e-mail addresses and URLs of companies and persons (several each).
communication = Table(
    "communication", metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_type", String(10), nullable=False),  # "company" | "person"
    Column("owner_id", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # "phone" | "mobile" | "email" | "url"
    Column("value", String(250), nullable=False),
    Column("value_key", String(250), nullable=False),  # lower-cased e-mail, digits of a phone
    Column("rank", Integer, nullable=False, default=1),
)
Index("ix_communication_owner", communication.c.owner_type, communication.c.owner_id)
Index("ix_communication_key", communication.c.kind, communication.c.value_key)

selection = Table(
    "selection", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # "import_new" | "import_updated" | "manual"
    Column("import_id", Integer, ForeignKey("import_run.id", ondelete="SET NULL")),
    Column("created_by", Integer),
    Column("created_at", DateTime(timezone=True)),
)

selection_member = Table(
    "selection_member", metadata,
    Column("selection_id", Integer, ForeignKey("selection.id", ondelete="CASCADE"),
           primary_key=True),
    Column("crm_type", String(10), primary_key=True),
    Column("crm_id", Integer, primary_key=True),
)

# ---------------------------------------------------------------- the engine

erp_connection = Table(
    "erp_connection", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("connector", String(50), nullable=False),
    Column("config", JSON, nullable=False, default=dict),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True)),
    # Who may pick the connection: NULL = everyone, else {"users": [...], "roles": [...]}.
    Column("scope", JSON, nullable=True),
    # Ids are never reused: CRM actors stay linked to a deleted connection's id.
    sqlite_autoincrement=True,
)

#: One import from its first staged row to its result ("pending import" until applied).
import_run = Table(
    "import_run", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(30), nullable=False),  # "erp", "file", ...
    Column("user_id", Integer),
    # staging -> previewed -> importing -> done | failed; done -> undone
    Column("state", String(20), nullable=False, default="staging"),
    Column("settings", JSON),
    Column("created_at", DateTime(timezone=True)),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("new_count", Integer),
    Column("updated_count", Integer),
    Column("skipped_count", Integer),
    Column("new_selection_id", Integer),
    Column("updated_selection_id", Integer),
    Column("backup_path", Text),
    Column("error", Text),
    # Why it failed, as a code the pages put in words (see engine.jobs.FAILURE_CODES).
    Column("error_code", String(40)),
    # Progress of the import job, written at phase boundaries (see engine.jobs).
    Column("progress_phase", String(20)),
    Column("progress_done", Integer),
    Column("progress_total", Integer),
    Column("progress_at", DateTime(timezone=True)),
    # The worker applying it ("host:pid:start:token") and its last sign of life, so
    # that an import whose worker died is marked failed and a live one is left alone.
    Column("worker", String(200)),
    Column("heartbeat_at", DateTime(timezone=True)),
    # Undo of a done import (state "undone").
    Column("undone_at", DateTime(timezone=True)),
    Column("undone_by", Integer),
)

#: PostgreSQL fillfactor of ``staged_actor`` (percent of a page filled by inserts).
STAGED_FILLFACTOR = 40

staged_actor = Table(
    "staged_actor", metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("import_run.id", ondelete="CASCADE"),
           nullable=False),
    Column("connection_id", Integer),
    Column("actor_type", String(20), nullable=False),
    Column("kind", String(10), nullable=False),  # "company" | "person"
    Column("erp_key", String(200), nullable=False),
    Column("parent_type", String(20)),
    Column("parent_key", String(200)),
    Column("last_modified", DateTime(timezone=True)),
    Column("via_parent", Boolean, nullable=False, default=False),
    # The value of every imported field key, cut to the CRM column's length
    # (v_name, v_postalad1, ..., see fieldmap.VALUE_COLUMNS) ...
    *[Column(column, String(length)) for column, length in VALUE_COLUMNS.values()],
    # ... and the field keys the CRM does not import, as the ERP gave them.
    Column("extra", JSON),
    Column("display_name", String(300)),
    # Normalised match keys.
    Column("name_key", String(300)),
    Column("dept_key", String(200)),
    Column("vat_key", String(50)),
    Column("email_key", String(250)),
    Column("mobile_key", String(50)),
    Column("phone_key", String(50)),
    Column("url_key", String(250)),
    Column("category_key", String(100)),
    Column("business_key", String(100)),
    # Communications as they will be written (a valid e-mail, truncated values).
    Column("comm_phone", String(250)),
    Column("comm_mobile", String(250)),
    Column("comm_email", String(250)),
    Column("comm_url", String(250)),
    # Preview results.
    # company_new | company_updated | person_new | person_updated | not_imported
    Column("status", String(20)),
    Column("reason", String(40)),
    Column("target_id", Integer),  # the CRM actor an updated row updates
    Column("match_id", Integer),  # the CRM actor found by ERP link or duplicate match
    Column("match_count", Integer),  # how many CRM actors had the match key
    Column("matched_by_link", Boolean, nullable=False, default=False),
    Column("create_company", Boolean, nullable=False, default=False),  # company from person
    Column("created_company_id", Integer),
    Column("duplicate_of", Integer),
    Column("company_staged_id", Integer),
    Column("company_target_id", Integer),
    Column("warnings", JSON),  # warning codes (None: none)
    Column("checked", Boolean, nullable=False, default=True),
    Column("crm_id", Integer),  # set by apply
    # PostgreSQL: room on each page for the new versions of its rows. The preview
    # and the apply update every staged row (status, match, CRM id; no indexed
    # column), and a new version that fits on the row's page is a "HOT" update
    # that writes no index entries. Measured: the three UPDATEs of a 100,000-row
    # import took 4.3 s at the default (100) and 1.4 s at 40 (docs/performance.md).
    postgresql_with={"fillfactor": STAGED_FILLFACTOR},
)
# Not on the status: the preview rewrites it for every row.
Index("ix_staged_actor_import", staged_actor.c.import_id)
# Staged once per (connection, actor type, ERP key), also without a connection.
Index("uq_staged_actor_erp_key", staged_actor.c.import_id, staged_actor.c.actor_type,
      staged_actor.c.erp_key, func.coalesce(staged_actor.c.connection_id, 0), unique=True)

#: Which CRM actor came from which ERP actor: the match that always wins.
erp_link = Table(
    "erp_link", metadata,
    Column("id", Integer, primary_key=True),
    Column("crm_type", String(10), nullable=False),
    Column("crm_id", Integer, nullable=False),
    Column("connection_id", Integer, nullable=False),
    Column("actor_type", String(20), nullable=False),
    Column("erp_key", String(200), nullable=False),
    Column("last_modified", DateTime(timezone=True)),
    Column("import_id", Integer),
    UniqueConstraint("connection_id", "actor_type", "erp_key"),
)
Index("ix_erp_link_crm", erp_link.c.crm_type, erp_link.c.crm_id)

#: Values of updated CRM rows before an import changed them (for undo).
before_image = Table(
    "before_image", metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("import_run.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("crm_type", String(10), nullable=False),
    Column("crm_id", Integer, nullable=False),
    Column("data", JSON, nullable=False),
)
