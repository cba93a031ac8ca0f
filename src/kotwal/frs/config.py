"""The face recognition domain's settings, from ``KOTWAL_FRS_*`` variables (docs/domains/frs.md).

Checked once at start-up by :func:`kotwal.frs.service.install`, so a bad value stops the server
and every command before any search is made.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FrsSettings(BaseSettings):
    """How often a 1:N search may name someone who is not enrolled."""

    model_config = SettingsConfigDict(env_prefix="KOTWAL_FRS_", extra="ignore")

    #: The false-positive identification rate a 1:N search holds: the share of searches of
    #: people who are not enrolled that return any candidate. 1 % by default; a force may set a
    #: stricter one (never a laxer one: a higher rate names more strangers).
    target_fpir: float = Field(default=0.01, ge=1e-6, le=0.01)


def frs_settings() -> FrsSettings:
    """The settings as the environment has them now."""
    return FrsSettings()
