"""What a security check finds, and where domains add their own checks.

``kotwal security check`` (the guard domain) runs the kernel's checks and then every check a
domain registered at :data:`SECURITY_CHECKS` from its manifest's ``install`` (the alerts list
their channels), so the guard imports no domain and a domain switched off adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kotwal.core.observers import HookPoint

if TYPE_CHECKING:
    from kotwal.core.runtime import Runtime

PASS, FAIL, SKIP = "pass", "fail", "skip"


@dataclass(frozen=True)
class Finding:
    """One check's outcome, and what to do about it when it failed."""

    check: str
    status: str
    detail: str
    fix: str | None = None


SecurityCheck = Callable[["Runtime"], Iterator[Finding]]
SECURITY_CHECKS: HookPoint[SecurityCheck] = HookPoint("security.checks")
