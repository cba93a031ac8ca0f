"""Disclosure observers: how the breach defences hear of every disclosure without the kernel
importing them. Modules register a callback on the runtime at start-up; the gate calls each
one after it has released records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kotwal.core.policy import Actor

if TYPE_CHECKING:
    from kotwal.core.uow import UnitOfWork


@dataclass(frozen=True)
class Disclosure:
    """What the observers hear about: who saw which records, and how."""

    actor: Actor
    resource_type: str
    record_ids: tuple[str, ...]
    purpose: str | None
    out_of_jurisdiction: tuple[str, ...] = ()


Observer = Callable[["UnitOfWork", Disclosure], None]


@dataclass
class Observers:
    """Disclosure observers, registered at start-up by modules that want to know."""

    callbacks: list[Observer] = field(default_factory=list)

    def register(self, callback: Observer) -> None:
        self.callbacks.append(callback)

    def notify(self, uow: UnitOfWork, disclosure: Disclosure) -> None:
        for callback in self.callbacks:
            callback(uow, disclosure)
