"""Purposes that mean something: what an officer must give to read beyond their jurisdiction.

A declared purpose is one of two things, never free text alone:

- **a case**: a FIR number in the force's format (``STATION/YEAR/NUMBER``, e.g.
  ``PS-A/2026/0042``) anywhere in the text. Where a case register is installed (the records
  domain registers one at :data:`CASE_REGISTER`), the case must be in it: a made-up number is
  refused before anything is read;
- **an enumerated reason** followed by a colon and what it is about
  (``verification: tenant verification for a house owner in Ameerpet``): the reasons a force
  reads records without a case of its own.

The gate checks a purpose only where it lifts what may be read (records outside the reader's
jurisdiction); inside it, a purpose is merely recorded. Reads made under a purpose go to the
reader's supervisors for review (the disclosure watch keeps that queue); a reason without a
case is always reviewed, since nothing else vouches for it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kotwal.core.errors import InvalidInput
from kotwal.core.observers import HookPoint

if TYPE_CHECKING:
    from kotwal.core.uow import UnitOfWork


class Reason(enum.StrEnum):
    """Why an officer reads records when no case of the force's is the reason."""

    VERIFICATION = "verification"  # passport, tenant, servant, character verification
    COURT = "court-order"  # a court's order or summons
    MISSING = "missing-person"  # a missing person or an unidentified body
    COMPLAINT = "complaint"  # a petition or complaint under enquiry before any FIR
    EMERGENCY = "emergency"  # a threat to life or an escape in progress
    OTHER_FORCE = "other-force"  # a request from another force, named in the text


REASON_TITLES: dict[Reason, str] = {
    Reason.VERIFICATION: "Verification (passport, tenant, servant, character)",
    Reason.COURT: "Court order or summons",
    Reason.MISSING: "Missing person or unidentified body",
    Reason.COMPLAINT: "Complaint or petition under enquiry",
    Reason.EMERGENCY: "Emergency: threat to life",
    Reason.OTHER_FORCE: "Request from another force",
}

#: A FIR number inside a purpose's text: station code / year / number, standing on its own.
FIR_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9_/-])([A-Za-z0-9][A-Za-z0-9_-]{1,31})/((?:19|20)[0-9]{2})/([0-9]{1,6})(?![0-9/])"
)
_REASON_PREFIX = re.compile(r"^\s*([a-z-]{3,20})\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
DETAIL_MIN = 5

FORMS = (
    "a FIR number in the case register (STATION/YEAR/NUMBER, e.g. PS-A/2026/0042) or a reason "
    f"and what it is about ({', '.join(r.value for r in Reason)}; e.g. "
    '"verification: tenant verification for a house owner")'
)

#: A case register: whether the FIR number ``STATION/YEAR/NUMBER`` is a registered case.
CaseLookup = Callable[["UnitOfWork", str], bool]
CASE_REGISTER: HookPoint[CaseLookup] = HookPoint("core.case_register")


@dataclass(frozen=True)
class Purpose:
    """A purpose read off its text: the case it names, or the reason it gives."""

    text: str
    case_number: str | None = None
    reason: Reason | None = None

    @property
    def always_reviewed(self) -> bool:
        """A reason without a case has nothing else to vouch for it."""
        return self.case_number is None


def parse_purpose(text: str) -> Purpose:
    """Read a (cleaned) purpose: an enumerated reason before a colon, else a FIR number
    anywhere in it.

    Raises :class:`InvalidInput` naming the accepted forms when it is neither.
    """
    prefix = _REASON_PREFIX.match(text)
    reason = _reason(prefix.group(1)) if prefix is not None else None
    if prefix is not None and reason is not None:
        # A reason first: a FIR number in its text (another force's, say) is detail, and a
        # read under a reason is always reviewed.
        if len(prefix.group(2).strip()) < DETAIL_MIN:
            raise InvalidInput(
                f"say what the {reason.value} is about (at least {DETAIL_MIN} characters)"
            )
        return Purpose(text=text, reason=reason)
    fir = FIR_IN_TEXT.search(text)
    if fir is not None:
        code, year, number = fir.groups()
        return Purpose(text=text, case_number=f"{code.upper()}/{year}/{number}")
    raise InvalidInput(f"a purpose must be {FORMS}")


def _reason(word: str) -> Reason | None:
    try:
        return Reason(word.lower())
    except ValueError:
        return None


def check_purpose(uow: UnitOfWork, text: str) -> Purpose:
    """Parse ``text`` and, for a case, make sure the case register knows it.

    With no case register installed (a deployment without the records domain), a well-formed
    FIR number is taken as given: there is nothing to check it against.
    """
    purpose = parse_purpose(text)
    if purpose.case_number is not None:
        check_case(uow, purpose.case_number)
    return purpose


def check_case(uow: UnitOfWork, case_number: str) -> None:
    """Refuse a FIR number the case register does not know (where one is installed)."""
    registers = uow.runtime.hooks.at(CASE_REGISTER)
    if registers and not any(lookup(uow, case_number) for lookup in registers):
        raise InvalidInput(
            f"no case {case_number} in the case register: a purpose names a registered "
            "case, or gives a reason"
        )
