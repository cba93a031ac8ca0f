"""Disclosure observers and hooks: how the breach defences hear of every disclosure, and how
one domain takes part in another's operation, without the kernel or either domain importing
the other. Modules register a callback on the runtime at start-up; the gate calls each
one after it has prepared the records and before it hands them back, so an observer that raises
a :class:`~kotwal.core.errors.Problem` stops the release (the caller's unit of work rolls back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from kotwal.core.policy import Actor

if TYPE_CHECKING:
    from kotwal.core.uow import UnitOfWork

#: How records left: one record opened, rows of a search or list result, a photo, an export,
#: or the echo of a record the reader has just created (what they typed in, handed back).
#: The distinction matters to the breach defences: a decoy that merely appears in a listing is
#: not an attack, many searches with nothing opened is a pattern of its own, and filing records
#: is not reading them. Only creations echo: an update's answer shows fields the writer did not
#: send, so it is a read like any other (else a no-op edit would read a record unbudgeted).
#: A *part* is a row that belongs to a record released in the same answer (a licence's
#: weapons, a case's parties): audited, and charged as part of its record, not on its own.
DisclosureKind = Literal["record", "list", "photo", "export", "echo", "part"]
KINDS: tuple[DisclosureKind, ...] = ("record", "list", "photo", "export", "echo", "part")


@dataclass(frozen=True)
class Disclosure:
    """What the observers hear about: who saw which records, and how."""

    actor: Actor
    resource_type: str
    record_ids: tuple[str, ...]
    purpose: str | None
    out_of_jurisdiction: tuple[str, ...] = ()
    kind: DisclosureKind = "record"
    #: Records released with PUBLIC fields only (outside the jurisdiction, no purpose): they
    #: showed that a record exists and where, nothing protected.
    public_only: tuple[str, ...] = ()
    #: For records listed by name, a coarse alphabetical bucket of each name, in the order of
    #: ``record_ids`` (see :func:`kotwal.core.gate.order_bucket`); empty otherwise.
    order_buckets: tuple[int | None, ...] = ()


Observer = Callable[["UnitOfWork", Disclosure], None]
H = TypeVar("H", bound=Callable[..., Any])


@dataclass
class Observers:
    """Disclosure observers, registered at start-up by modules that want to know."""

    callbacks: list[Observer] = field(default_factory=list)

    def register(self, callback: Observer) -> None:
        """Add ``callback`` once (building a second app on one runtime must not double-count)."""
        if callback not in self.callbacks:
            self.callbacks.append(callback)

    def notify(self, uow: UnitOfWork, disclosure: Disclosure) -> None:
        """Tell every observer, in registration order; the first to raise stops the release."""
        for callback in self.callbacks:
            callback(uow, disclosure)


@dataclass(frozen=True)
class HookPoint(Generic[H]):
    """A named place in one domain's service where other domains may take part (records calls
    ``CASE_PARTY_ADDED`` hooks; arms raises suspension reviews there), declared by the domain
    that calls it, with the hooks' type, so that neither domain imports the other's tables."""

    name: str


@dataclass
class Hooks:
    """Hooks registered on a runtime, by point and by the name of who registered them."""

    points: dict[str, dict[str, Callable[..., Any]]] = field(default_factory=dict)

    def register(self, point: HookPoint[H], name: str, hook: H) -> None:
        """Register ``hook`` at ``point`` under ``name``; the same name again replaces it."""
        self.points.setdefault(point.name, {})[name] = hook

    def at(self, point: HookPoint[H]) -> list[H]:
        """The hooks at ``point``, in registration order."""
        return list(self.points.get(point.name, {}).values())  # type: ignore[arg-type]
