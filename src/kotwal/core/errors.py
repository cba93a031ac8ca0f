"""Problems: the errors kotwal reports, as RFC 9457 problem details.

A service raises a :class:`Problem`; the web layer turns it into ``application/problem+json``
and the CLI into a readable line. A problem's ``type`` is stable (clients may switch on it); its
``title`` is for people; nothing in it ever carries a stack trace, SQL or key material.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "urn:kotwal:problem:"


class Problem(Exception):
    """An error with an HTTP status, a stable slug and a human title."""

    status = 400
    slug = "bad-request"
    title = "The request is not valid"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extra = extra

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if instance:
            out["instance"] = instance
        out.update(self.extra)
        return out


class NotAuthenticated(Problem):
    status, slug, title = 401, "not-authenticated", "Log in first"


class LoginFailed(Problem):
    status, slug, title = 401, "login-failed", "Login failed"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "You do not have permission to do this"


class PasswordChangeRequired(Problem):
    status, slug = 403, "password-change-required"
    title = "Change your initial password and enrol TOTP before anything else"


class CsrfRejected(Problem):
    status, slug, title = 403, "csrf-rejected", "The form is stale or did not come from kotwal"


class ExportLimit(Problem):
    status, slug = 403, "export-limit"
    title = "This export would pass your allowance of exported records for the day"


class PurposeRequired(Problem):
    status, slug = 403, "purpose-required"
    title = "This record is outside your jurisdiction; declare a purpose to read it"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "No such resource"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "This conflicts with what exists"


class InvalidInput(Problem):
    status, slug, title = 422, "invalid-input", "The input is not valid"


class WeakPassword(Problem):
    status, slug, title = 422, "weak-password", "Choose a different password"


class IntegrityFailure(Problem):
    status, slug = 500, "integrity-failure"
    title = "A stored record failed its integrity check; the security officer has been told"


class TooManyAttempts(Problem):
    status, slug, title = 429, "too-many-attempts", "Too many failed attempts; wait and retry"


class StepUpRequired(Problem):
    status, slug = 403, "step-up-required"
    title = "Confirm it is you: enter a fresh authenticator code (POST /api/v1/session/step-up)"


class AccountSuspended(Problem):
    status, slug = 403, "account-suspended"
    title = "This account is suspended pending a security officer's review"


class ModuleOff(Problem):
    """What was asked needs a module this deployment has switched off (``KOTWAL_MODULES``)."""

    status, slug = 503, "module-off"
    title = "This needs a module that is switched off here"


class NotConfigured(Problem):
    """What was asked needs something this deployment has not set up yet (a key, a link)."""

    status, slug = 503, "not-configured"
    title = "This deployment is not set up for this yet"
