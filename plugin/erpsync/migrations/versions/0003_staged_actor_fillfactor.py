"""staged actor fillfactor

PostgreSQL only: ``staged_actor`` pages are filled to 40 % so that the
preview's and the apply's updates of every staged row (none of them changes an
indexed column) find room on the row's own page and skip the index entries
(heap-only tuples). Existing pages keep their rows; new stagings get the room.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The fillfactor this revision sets (erpsync.engine.schema.STAGED_FILLFACTOR then).
FILLFACTOR = 40


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE staged_actor SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE staged_actor RESET (fillfactor)")
