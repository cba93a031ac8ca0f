"""Columns that many tables share, declared once: the data-class ``info`` of a column, the random
id that records carry, the moment a row was written, and the materialised jurisdiction path.

Only the id is a mixin. The other columns stand at different places in their tables, and a
mixin's columns come after the class's own (SQLAlchemy's default order), so they are column
factories used in place; the id mixin sorts itself first, where every table has it. Neither
changes the schema the migrations make.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.clock import utcnow
from kotwal.core.db import ID, new_id
from kotwal.core.policy import DataClass, data_class

#: Column ``info`` of the two data classes that plain (unencrypted) columns carry.
PUBLIC = data_class(DataClass.PUBLIC)
RESTRICTED = data_class(DataClass.RESTRICTED)
#: Length of a materialised jurisdiction path, as ``jurisdictions.path`` holds it.
PATH_LENGTH = 1000


class RecordId:
    """Mixin: a random UUID primary key (``new_id``), PUBLIC since ids appear in URLs and in
    masked answers. Put it before ``Base``: ``class Person(RecordId, Base)``."""

    id: Mapped[str] = mapped_column(
        ID, primary_key=True, default=new_id, info=PUBLIC, sort_order=-1
    )


def stamped(info: dict[str, DataClass] | None = None) -> Mapped[datetime]:
    """A moment column set to now (UTC) when the row is inserted; ``info`` is its data class
    (kernel tables, which the gate never discloses, carry none)."""
    return mapped_column(DateTime(timezone=True), default=utcnow, info=info or {})


def jurisdiction_path_column(
    info: dict[str, DataClass] = RESTRICTED, *, index: bool = True
) -> Mapped[str]:
    """The materialised path of the jurisdiction a row is filed in, kept on the row so that
    scoped reads (``kotwal.core.scope.in_jurisdiction``) need no join; indexed unless the
    table is only ever read through its parent."""
    return mapped_column(String(PATH_LENGTH), index=index, info=info)
