"""audit: on PostgreSQL the log is partitioned by month of at_us (declarative partitioning),
so that old months can leave the live database once witnessed (kotwal.core.audit_partitions)

Revision ID: 0035
Revises: 0030
Create Date: 2026-12-07 17:45:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op

revision: str = "0035"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "seq, at_us, actor_id, actor_name, session_id, action, outcome, resource_type, "
    "resource_id, purpose, client_addr, detail, prev_hash, hash, mac"
)
_CREATE = """
CREATE TABLE audit_events (
    seq BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    actor_id VARCHAR(36),
    actor_name VARCHAR(64) NOT NULL,
    session_id VARCHAR(36),
    action VARCHAR(64) NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    resource_type VARCHAR(64),
    resource_id VARCHAR(64),
    purpose VARCHAR(300),
    client_addr VARCHAR(64),
    detail TEXT NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL,
    mac VARCHAR(32),
    CONSTRAINT pk_audit_events PRIMARY KEY (seq, at_us)
) PARTITION BY RANGE (at_us)
"""
_INDEXES = (
    "CREATE INDEX ix_audit_events_action ON audit_events (action)",
    "CREATE INDEX ix_audit_events_actor_at ON audit_events (actor_id, at_us)",
    "CREATE INDEX ix_audit_events_at_us ON audit_events (at_us)",
    "CREATE INDEX ix_audit_events_resource ON audit_events (resource_type, resource_id)",
)
_TRIGGERS = (
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION kotwal_audit_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION kotwal_audit_append_only()",
)
#: Months created now: the current one and this many after it (then `kotwal audit partitions`).
_AHEAD = 12
#: Months before the current one given a partition of their own when they hold events; older
#: events stay in the default partition.
_BEHIND = 24


def _month_us(year: int, month: int) -> int:
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) * 1_000_000


def _add(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _partition(year: int, month: int) -> list[str]:
    # The same statements as kotwal.core.audit_partitions.partition_ddl (a migration does not
    # import the code it migrates for, which may change after it).
    name = f"audit_events_p{year:04d}{month:02d}"
    lo, hi = _month_us(year, month), _month_us(*_add(year, month, 1))
    return [
        f"CREATE TABLE {name} PARTITION OF audit_events FOR VALUES FROM ({lo}) TO ({hi})",
        f"REVOKE ALL ON {name} FROM kotwal_app",
        f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION kotwal_audit_append_only()",
    ]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE audit_events RENAME TO audit_events_unpartitioned")
    op.execute("ALTER TABLE audit_events_unpartitioned RENAME CONSTRAINT pk_audit_events TO pk_x")
    for index in ("action", "actor_at", "at_us", "resource"):
        op.execute(f"DROP INDEX ix_audit_events_{index}")
    op.execute(_CREATE)
    for statement in _INDEXES + _TRIGGERS:
        op.execute(statement)
    now = datetime.now(UTC)
    held = bind.exec_driver_sql(
        "SELECT DISTINCT date_part('year', t)::int, date_part('month', t)::int FROM ("
        "SELECT to_timestamp(at_us / 1000000.0) AT TIME ZONE 'UTC' AS t "
        "FROM audit_events_unpartitioned) AS m"
    ).all()
    first = _add(now.year, now.month, -_BEHIND)
    months = {(int(y), int(m)) for y, m in held if (int(y), int(m)) >= first}
    months |= {_add(now.year, now.month, k) for k in range(_AHEAD + 1)}
    for year, month in sorted(months):
        for statement in _partition(year, month):
            op.execute(statement)
    op.execute("CREATE TABLE audit_events_pdefault PARTITION OF audit_events DEFAULT")
    op.execute("REVOKE ALL ON audit_events_pdefault FROM kotwal_app")
    op.execute(
        "CREATE TRIGGER audit_events_pdefault_no_truncate BEFORE TRUNCATE ON "
        "audit_events_pdefault FOR EACH STATEMENT EXECUTE FUNCTION kotwal_audit_append_only()"
    )
    op.execute(
        f"INSERT INTO audit_events ({_COLUMNS}) "  # noqa: S608 - constant column names
        f"SELECT {_COLUMNS} FROM audit_events_unpartitioned"
    )
    op.execute("DROP TABLE audit_events_unpartitioned")
    # The parent: what 0034 granted on the table it replaces (its default privileges granted
    # the new table more).
    op.execute("REVOKE ALL ON audit_events FROM kotwal_app")
    op.execute("GRANT SELECT, INSERT ON audit_events TO kotwal_app")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE audit_events RENAME TO audit_events_partitioned")
    op.execute("ALTER TABLE audit_events_partitioned RENAME CONSTRAINT pk_audit_events TO pk_x")
    for index in ("action", "actor_at", "at_us", "resource"):
        op.execute(f"ALTER INDEX ix_audit_events_{index} RENAME TO ix_x_{index}")
    op.execute(
        _CREATE.replace(" PARTITION BY RANGE (at_us)", "").replace(
            "PRIMARY KEY (seq, at_us)", "PRIMARY KEY (seq)"
        )
    )
    for statement in _INDEXES + _TRIGGERS:
        op.execute(statement)
    op.execute(
        f"INSERT INTO audit_events ({_COLUMNS}) "  # noqa: S608 - constant column names
        f"SELECT {_COLUMNS} FROM audit_events_partitioned"
    )
    op.execute("DROP TABLE audit_events_partitioned CASCADE")
    op.execute("REVOKE ALL ON audit_events FROM kotwal_app")
    op.execute("GRANT SELECT, INSERT ON audit_events TO kotwal_app")
