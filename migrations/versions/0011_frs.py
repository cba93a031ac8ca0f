"""face recognition: galleries, sealed embeddings, calibrations

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 10:30:00.000000
"""

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Placeholder: this revision's tables are added by the change that builds them."""


def downgrade() -> None:
    """Placeholder: nothing to undo yet."""
