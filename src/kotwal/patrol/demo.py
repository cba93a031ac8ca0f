"""The patrolling part of `kotwal demo` (placeholder until the demo data is built)."""

from __future__ import annotations

from kotwal.manifest import DemoContext


def seed(ctx: DemoContext) -> None:
    """Nothing yet."""
