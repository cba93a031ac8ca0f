"""The public alerts' settings, from ``KOTWAL_ALERT_*`` variables (docs/domains/alerts.md).

They are the domain's own, so they live here rather than in the kernel's settings; they are
read when an operation needs them (a change applies to the next draft or message) and checked
once at start-up by :func:`kotwal.alerts.service.install`, so a bad value stops the server.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertSettings(BaseSettings):
    """Approval window, burst threshold and the OTP rate limits."""

    model_config = SettingsConfigDict(env_prefix="KOTWAL_ALERT_", extra="ignore")

    #: A draft must be approved within this many minutes of drafting, or be drafted again: an
    #: approval is a judgement on the situation as it stood, and situations move.
    approval_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: More alerts than this approved in an hour, across the deployment, alerts the security
    #: officers (a stolen approver's account sends many; a real emergency sends a few).
    burst_per_hour: int = Field(default=5, ge=1, le=1000)
    #: One-time passwords to one number: at most this many in the window, and in a day.
    otp_per_window: int = Field(default=3, ge=1, le=100)
    otp_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    otp_per_day: int = Field(default=10, ge=1, le=1000)


def alert_settings() -> AlertSettings:
    """The settings as the environment has them now."""
    return AlertSettings()
