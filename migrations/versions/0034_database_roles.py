"""database roles: the application's role owns nothing and may only insert into the audit log;
row-level security keeps a connection acting for an officer inside the officer's jurisdiction

PostgreSQL only (SQLite has neither roles nor row security; there the file's permissions and
the append-only triggers of 0025 are the defence). See docs/deploy-state.md, "Database roles".

Revision ID: 0034
Revises: 0029
Create Date: 2026-12-07 17:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The group role the application's logins belong to (kotwal.core.db.APP_ROLE says the same).
APP_ROLE = "kotwal_app"

# Roles belong to the whole server, so several databases (or test workers migrating at once)
# may race to create it: the loser's unique violation is the winner's role, which is all we want.
_ENSURE_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kotwal_app') THEN
        BEGIN
            CREATE ROLE kotwal_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role kotwal_app does not exist and this login may not '
                    'create it: CREATE ROLE kotwal_app NOLOGIN as a superuser first '
                    '(docs/deploy-state.md)';
        END;
    END IF;
END
$$
"""

# What the application may do: read and write the operational tables, read and append to the
# audit log and its checkpoints, move the chain head. Nothing else: no TRUNCATE, REFERENCES or
# TRIGGER, and (not owning any table) no ALTER, DROP or DISABLE TRIGGER.
_GRANTS = (
    f"GRANT USAGE ON SCHEMA {{schema}} TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {{schema}} TO {APP_ROLE}",
    f"REVOKE UPDATE, DELETE ON audit_events, audit_checkpoints FROM {APP_ROLE}",
    f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {{schema}} TO {APP_ROLE}",
    # Tables later migrations create (as the same owner) are granted the same way.
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {{schema}} "
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {{schema}} GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}",
)

# Whether a row filed under ``path`` lies in the transaction's scope. ``kotwal.scope`` is set for
# each transaction acting for an officer (kotwal.core.uow): the officer's jurisdiction paths
# separated by commas, or "-" for an officer with none. Unset or empty, the transaction does
# system work (the audit writer, a command run by the operator) and is not restricted.
_IN_SCOPE = """
CREATE OR REPLACE FUNCTION kotwal_in_scope(path text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('kotwal.scope', true), '') = ''
        OR EXISTS (
            SELECT 1
            FROM unnest(string_to_array(current_setting('kotwal.scope', true), ',')) AS s(p)
            WHERE starts_with(path, s.p)
        )
$$
"""
# Reads may also cross the boundary when the transaction declared ``kotwal.reach`` = "gate":
# the few reads whose results leave through the gate, which masks what lies outside (a record
# opened by id, a name or phone search). Writes never may.
_POLICIES = (
    "CREATE POLICY {table}_read ON {table} FOR SELECT TO {role} USING ("
    "kotwal_in_scope(jurisdiction_path) "
    "OR coalesce(current_setting('kotwal.reach', true), '') = 'gate')",
    "CREATE POLICY {table}_insert ON {table} FOR INSERT TO {role} "
    "WITH CHECK (kotwal_in_scope(jurisdiction_path))",
    "CREATE POLICY {table}_update ON {table} FOR UPDATE TO {role} "
    "USING (kotwal_in_scope(jurisdiction_path)) WITH CHECK (kotwal_in_scope(jurisdiction_path))",
    "CREATE POLICY {table}_delete ON {table} FOR DELETE TO {role} "
    "USING (kotwal_in_scope(jurisdiction_path))",
)
_POLICY_NAMES = ("read", "insert", "update", "delete")

#: Tables whose rows are filed under a jurisdiction and protected by the gate.
PROTECTED = ("persons",)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    op.execute(_ENSURE_ROLE)
    for statement in _GRANTS:
        op.execute(statement.format(schema=f'"{schema}"'))
    op.execute(_IN_SCOPE)
    for table in PROTECTED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for policy in _POLICIES:
            op.execute(policy.format(table=table, role=APP_ROLE))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    for table in PROTECTED:
        for name in _POLICY_NAMES:
            op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS kotwal_in_scope(text)")
    quoted = f'"{schema}"'
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted} "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
    )
    sequences = "USAGE, SELECT ON SEQUENCES"  # (kept apart: "SELECT ... FROM" reads as a query)
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted} REVOKE {sequences} FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted} FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quoted} FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA {quoted} FROM {APP_ROLE}")
    # The role itself stays: it belongs to the server, and other databases may use it.
