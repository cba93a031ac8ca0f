"""Edits of kept records, the same way in every domain: the editor names the version they read
(``expected_version``), a record changed since is refused (409) rather than overwritten, and an
edit that changes nothing is refused (422) rather than written as a new version."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from kotwal.core.errors import Conflict, InvalidInput


def check_version(current: int, expected: int, what: str = "record") -> None:
    """Refuse an edit made against a version other than the record's current one."""
    if current != expected:
        raise Conflict(
            f"the {what} changed since you read it (now version {current}); "
            "reload it and apply your change again"
        )


def changes_of(data: BaseModel, *, besides: Iterable[str] = ()) -> dict[str, Any]:
    """The fields an edit sets (leaving out ``expected_version`` and ``besides``, which say how
    to apply it); refuses an edit that sets none."""
    changes = data.model_dump(exclude_unset=True, exclude={"expected_version", *besides})
    if not changes:
        raise InvalidInput("nothing to change")
    return changes
