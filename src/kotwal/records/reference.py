"""The reference rows a new database starts with: history sheet categories, and the common
sections of the Bharatiya Nyaya Sanhita 2023 with the IPC section each replaced.

Migration 0005 wrote these rows when it ran, from its own copy of the same lists: a migration is
history and must seed tomorrow what it seeded the day it was written, so it imports nothing
that may change. This module is the copy code and tests read. A change to the reference data
is a new migration that writes the change, and the same change here; a test compares this
module with what the migrations leave in a new database.
"""

from __future__ import annotations

from typing import Any

#: History sheet kinds every station uses (code, title, months between reviews); a state adds
#: its own as rows.
CATEGORIES: tuple[tuple[str, str, int], ...] = (
    ("rowdy_sheet", "Rowdy sheet", 6),
    ("suspect_sheet", "Suspect sheet", 6),
    ("kd", "KD (known depredator)", 6),
    ("habitual_offender", "Habitual offender", 6),
)

#: Common sections of the BNS (code, title, the IPC section it replaced). The legacy code is
#: None where the BNS offence is new or has no single IPC counterpart.
SECTIONS: tuple[tuple[str, str, str | None], ...] = (
    ("BNS 3(5)", "Acts done by several persons in furtherance of common intention", "IPC 34"),
    ("BNS 61", "Criminal conspiracy", "IPC 120B"),
    ("BNS 64", "Rape", "IPC 376"),
    ("BNS 74", "Assault or criminal force to woman with intent to outrage her modesty", "IPC 354"),
    ("BNS 78", "Stalking", "IPC 354D"),
    ("BNS 79", "Word, gesture or act intended to insult the modesty of a woman", "IPC 509"),
    ("BNS 80", "Dowry death", "IPC 304B"),
    ("BNS 85", "Cruelty by husband or relative of husband", "IPC 498A"),
    ("BNS 103", "Murder", "IPC 302"),
    ("BNS 105", "Culpable homicide not amounting to murder", "IPC 304"),
    ("BNS 106", "Causing death by negligence", "IPC 304A"),
    ("BNS 109", "Attempt to murder", "IPC 307"),
    ("BNS 111", "Organised crime", None),
    ("BNS 115", "Voluntarily causing hurt", "IPC 323"),
    ("BNS 117", "Voluntarily causing grievous hurt", "IPC 325"),
    ("BNS 126", "Wrongful restraint", "IPC 341"),
    ("BNS 127", "Wrongful confinement", "IPC 342"),
    ("BNS 137", "Kidnapping", "IPC 363"),
    ("BNS 191", "Rioting", "IPC 147"),
    ("BNS 281", "Rash driving or riding on a public way", "IPC 279"),
    ("BNS 303", "Theft", "IPC 379"),
    ("BNS 304", "Snatching", None),
    ("BNS 305", "Theft in a dwelling house, means of transport or place of worship", "IPC 380"),
    ("BNS 308", "Extortion", "IPC 384"),
    ("BNS 309", "Robbery", "IPC 392"),
    ("BNS 310", "Dacoity", "IPC 395"),
    ("BNS 314", "Dishonest misappropriation of property", "IPC 403"),
    ("BNS 316", "Criminal breach of trust", "IPC 406"),
    ("BNS 317", "Stolen property", "IPC 411"),
    ("BNS 318", "Cheating", "IPC 420"),
    ("BNS 319", "Cheating by personation", "IPC 419"),
    ("BNS 329", "Criminal trespass and house-trespass", "IPC 447"),
    ("BNS 331", "House-trespass or house-breaking by night", "IPC 457"),
    ("BNS 336", "Forgery", "IPC 465"),
    ("BNS 351", "Criminal intimidation", "IPC 506"),
    ("BNS 352", "Intentional insult with intent to provoke breach of the peace", "IPC 504"),
)


def category_rows() -> list[dict[str, Any]]:
    """The rows of ``history_sheet_categories``."""
    return [{"code": c, "title": t, "review_months": m} for c, t, m in CATEGORIES]


def law_section_rows() -> list[dict[str, Any]]:
    """The rows of ``law_sections``: each BNS section, then the IPC sections they replaced (so
    that cases registered before 1 July 2024 can cite them), each naming the other."""
    rows = [{"code": c, "act": "BNS", "title": t, "equivalent": e} for c, t, e in SECTIONS]
    rows += [{"code": e, "act": "IPC", "title": t, "equivalent": c} for c, t, e in SECTIONS if e]
    return rows
