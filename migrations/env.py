"""Alembic environment: the engine comes from kotwal (``alembic_config``), not from an ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from kotwal.core.audit_partitions import not_a_partition
from kotwal.tables import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through `kotwal init` or kotwal.core.migrate")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=not_a_partition,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
