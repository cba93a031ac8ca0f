"""The public alerts' settings, from ``KOTWAL_ALERT_*`` variables (docs/domains/alerts.md).

They are the domain's own, so they live here rather than in the kernel's settings; they are
read when an operation needs them (a change applies to the next draft or message) and checked
once at start-up by :func:`kotwal.alerts.service.install`, so a bad value stops the server.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
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
    #: SOS notices to one emergency contact's number: at most this many in the window (a
    #: citizen raising SOS after SOS must not turn the force's header into a pager).
    sos_per_window: int = Field(default=3, ge=1, le=100)
    sos_window_minutes: int = Field(default=60, ge=1, le=24 * 60)
    #: CAP ``sender``: who the force is on the internet (a domain or an address), the same in
    #: every document it signs. No spaces, commas, "<" or "&" (CAP 1.2 forbids them).
    cap_sender: str = Field(
        default="alerts@kotwal.invalid", min_length=3, max_length=200, pattern=r"^[^\s,<&]+$"
    )
    #: Hours an alert stays current (in the feed) when its drafter did not say.
    cap_hours: int = Field(default=24, ge=1, le=7 * 24)
    #: Where the public surface is reached, e.g. "https://alerts.police.example", for the
    #: feed's absolute links. Never taken from a request's Host header (a caller could put any
    #: host into a cached feed); unset, the feed's links are relative to the feed.
    public_url: str | None = Field(
        default=None, max_length=200, pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"
    )
    #: Days a channel (an SMPP link, the public feed) may go unused before it disables itself.
    channel_idle_days: int = Field(default=90, ge=1, le=3660)
    #: Days a channel stays enabled when it is made or renewed, unless the officers say less.
    channel_days: int = Field(default=365, ge=1, le=3660)


def alert_settings() -> AlertSettings:
    """The settings as the environment has them now."""
    return AlertSettings()


#: Seconds kept free between a message's last send and the end of its lease.
LEASE_MARGIN_SECONDS = 2.0


def _tag(value: object) -> object:
    """A TLV tag as written in an operator's documentation: "0x1400" or 5120."""
    if isinstance(value, str):
        return int(value, 0)
    return value


class DeliverySettings(BaseSettings):
    """How the workers submit: the DLT TLV tags, the lease, batches and back-off.

    The SMSC link itself (host, system ID, the sealed password, binds, window, chain ID) is
    kept in the database (``kotwal alerts smsc set``), not here: see docs/domains/alerts.md.
    """

    model_config = SettingsConfigDict(env_prefix="KOTWAL_ALERT_SMPP_", extra="ignore")

    #: Vendor TLV tags DLT asks for; Indian operators use 0x1400-0x1402, a few differ.
    tag_pe_id: int = Field(default=0x1400, ge=0x1400, le=0x3FFF)
    tag_template_id: int = Field(default=0x1401, ge=0x1400, le=0x3FFF)
    tag_chain_id: int = Field(default=0x1402, ge=0x1400, le=0x3FFF)
    #: A worker holds what it claimed this long; past it, another worker may take what has no
    #: recorded submit_sm_resp. Longer than a submit and its response can ever take.
    lease_seconds: int = Field(default=60, ge=5, le=3600)
    #: Messages claimed per transaction by one bind.
    claim_batch: int = Field(default=100, ge=1, le=1000)
    #: After ESME_RTHROTTLED or ESME_RMSGQFUL the bind pauses this long, doubling on each
    #: further refusal up to ``throttle_max_ms``, and the message is due again after it.
    throttle_ms: int = Field(default=200, ge=1, le=60_000)
    throttle_max_ms: int = Field(default=10_000, ge=1, le=600_000)
    #: A message refused for a transient reason this many times is marked failed.
    max_attempts: int = Field(default=10, ge=1, le=100)
    #: Seconds to wait for a submit_sm_resp before the bind is dropped and bound again (what
    #: was in flight keeps its lease and is retried only where no response was recorded).
    response_timeout: float = Field(default=30.0, ge=1.0, le=600.0)
    #: A worker with nothing to do looks again after this many seconds.
    idle_seconds: float = Field(default=0.5, ge=0.01, le=60.0)

    @model_validator(mode="after")
    def _response_within_lease(self) -> DeliverySettings:
        # A bind sends a message only while its lease outlasts a response's wait, so a lease
        # shorter than that would send nothing.
        if self.response_timeout + LEASE_MARGIN_SECONDS >= self.lease_seconds:
            raise ValueError(
                "KOTWAL_ALERT_SMPP_LEASE_SECONDS must exceed the response timeout by "
                f"{LEASE_MARGIN_SECONDS} s"
            )
        return self

    @field_validator("tag_pe_id", "tag_template_id", "tag_chain_id", mode="before")
    @classmethod
    def _hex_tags(cls, value: object) -> object:
        return _tag(value)


def delivery_settings() -> DeliverySettings:
    """The delivery settings as the environment has them now."""
    return DeliverySettings()
