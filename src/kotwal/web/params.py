"""Request parameters that many routes share, declared once: the declared purpose of a read and
the plain-text rule for free text in a query.

They live in the web layer because they are about requests (the kernel's gate only sees the
purpose as a string and cleans it with ``kotwal.core.gate.clean_purpose``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

#: Free text in a query carries no control characters (NUL would reach the audit log, and
#: PostgreSQL refuses it outright).
PLAIN_TEXT = r"^[^\x00-\x1f\x7f]*$"

#: The purpose of a read outside one's jurisdiction (``?purpose=``), for JSON routes and console
#: pages alike. One definition serves both because the rule is the same: the console's purpose
#: box is a single-line ``<input>`` that sends this very query parameter, and the description
#: only shows in the OpenAPI document, which leaves the console out. The gate checks the
#: length of the cleaned text (5-300 characters); this only bounds and screens the raw input.
#: Face searches are another matter: their purpose is a required form field checked with the
#: case number by ``kotwal.frs.schemas.SearchPurpose``.
Purpose = Annotated[
    str | None,
    Query(
        max_length=300,
        pattern=PLAIN_TEXT,
        description="Case number or reason; needed outside your jurisdiction",
    ),
]
