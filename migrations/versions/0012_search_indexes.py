"""search indexes: person name keys indexed by (key, person_id)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 11:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Name search reads person ids straight off the key index (an index-only scan) instead
    of visiting a table row per key; the new index also serves every lookup the old one did."""
    with op.batch_alter_table("person_name_keys", schema=None) as batch_op:
        batch_op.create_index("ix_person_name_keys_key_person", ["key", "person_id"], unique=False)
        batch_op.drop_index("ix_person_name_keys_key")


def downgrade() -> None:
    with op.batch_alter_table("person_name_keys", schema=None) as batch_op:
        batch_op.create_index("ix_person_name_keys_key", ["key"], unique=False)
        batch_op.drop_index("ix_person_name_keys_key_person")
