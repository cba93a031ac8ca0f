"""Input and output shapes of the kernel's API. Inputs forbid unknown fields and carry limits."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kotwal.core.policy import JurisdictionKind, Role

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(value: Any) -> Any:
    """Refuse NUL and other control characters in any text (PostgreSQL rejects NUL outright,
    and terminal escapes have no business in a record)."""
    texts = value if isinstance(value, list) else [value]
    for text in texts:
        if isinstance(text, str) and _CONTROL.search(text):
            raise ValueError("control characters are not allowed")
    return value


class Input(BaseModel):
    """Base of every input schema: unknown fields refused, text trimmed and free of control
    characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return no_control_characters(value)


class TokenRequest(Input):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, min_length=6, max_length=8)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type name, not a secret
    expires_in: int
    restricted: bool


class PasswordChange(Input):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TotpReplace(Input):
    """Needed only to replace an enrolled authenticator: proof of password and old device."""

    current_password: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=6, max_length=8)


class TotpBegin(BaseModel):
    secret: str
    provisioning_uri: str


class TotpConfirm(Input):
    code: str = Field(min_length=6, max_length=8)


class Me(BaseModel):
    id: str
    username: str
    roles: list[Role]
    jurisdictions: list[str]
    restricted: bool


class AccountCreate(Input):
    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1, max_length=12)
    jurisdiction_id: str | None = Field(default=None, min_length=36, max_length=36)
    #: Why the account is needed, for the security officer who decides.
    reason: str = Field(default="", max_length=300)


class AccountUpdate(Input):
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=12)
    disabled: bool | None = None
    jurisdiction_id: str | None = Field(default=None, min_length=36, max_length=36)
    #: Why, for the security officer who decides what needs a second officer.
    reason: str = Field(default="", max_length=300)


class Note(Input):
    note: str = Field(default="", max_length=300)


class PowerRequestRead(BaseModel):
    """A change of power over accounts waiting for (or decided by) a second officer."""

    id: str
    kind: str
    account_id: str | None
    username: str | None
    roles: list[Role]
    jurisdiction_id: str | None
    reason: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    state: str
    expired: bool
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class PowerDecision(PowerRequestRead):
    one_time_password: str | None = Field(
        default=None, description="For an account created: shown once, to the approver"
    )


class Reason(Input):
    reason: str = Field(min_length=5, max_length=300)


class AccountRead(BaseModel):
    """What an administrator sees of an account: no hashes, no secrets."""

    id: str
    username: str
    display_name: str
    roles: list[Role]
    disabled: bool
    locked: bool
    must_change_password: bool
    totp_enrolled: bool
    created_at: datetime


class AccountUpdated(AccountRead):
    #: Changes that wait for a security officer (a role granted, a posting above a station,
    #: the account enabled); the rest of the update is made.
    pending: list[PowerRequestRead] = Field(default_factory=list)


class OneTimePassword(BaseModel):
    one_time_password: str


class JurisdictionCreate(Input):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Z0-9_-]+$")
    name: str = Field(min_length=2, max_length=200)
    kind: JurisdictionKind
    parent_id: str | None = Field(default=None, min_length=36, max_length=36)


class JurisdictionRead(BaseModel):
    id: str
    code: str
    name: str
    kind: JurisdictionKind
    parent_id: str | None


class AuditEventRead(BaseModel):
    seq: int
    at: datetime
    actor_id: str | None
    actor_name: str
    session_id: str | None
    action: str
    outcome: str
    resource_type: str | None
    resource_id: str | None
    purpose: str | None
    client_addr: str | None
    detail: str
