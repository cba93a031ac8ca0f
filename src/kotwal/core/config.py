"""Settings for a kotwal deployment.

Everything comes from environment variables named ``KOTWAL_*`` (or their defaults); no secret
ever has a default here. Keys live in files under the data directory or in the environment,
never in the database and never in code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class Settings(BaseSettings):
    """One deployment's configuration, read from ``KOTWAL_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="KOTWAL_", extra="ignore")

    data_dir: Path = Field(default=Path("kotwal-data"))
    database_url: str | None = None
    #: PostgreSQL: a role to ``SET ROLE`` to after connecting, for a login that holds several
    #: (``kotwal_app`` when an administrator's login serves). A production login is itself a
    #: member of ``kotwal_app`` and leaves this unset; migrations never use it (they run as the
    #: owner). See docs/deploy-state.md.
    database_role: str | None = None
    #: Key-encryption key(s) as base64; when set, no key file is read or written.
    kek: SecretStr | None = None
    #: Ed25519 audit signing key as base64 of its 32-byte seed.
    audit_key: SecretStr | None = None
    #: Blind-index key as base64; separate from the KEK so KEK rotation keeps indexes valid.
    index_key: SecretStr | None = None
    #: Document-signing key (ECDSA P-256) as base64 of its 32-byte private scalar; read only
    #: with KOTWAL_KEK (otherwise from <data dir>/keys/document-signing.key).
    document_key: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: The citizens' surface (its own app and token realm) listens here; ``kotwal run`` serves
    #: it beside the officers' unless told ``--surface officers``.
    citizen_port: int = Field(default=8100, ge=1, le=65535)
    #: Server processes for `kotwal run`; None means one per CPU core, at most 8. Each has its
    #: own connection pool and audit writer; the audit chain and budgets live in the database.
    workers: int | None = Field(default=None, ge=1, le=64)
    #: Set only when serving plain HTTP on a trusted local link (a laptop demo): drops the
    #: Secure cookie flag and the __Host- prefix. Never in production.
    local_http: bool = False
    #: The deployment is served over TLS (directly or behind a TLS-terminating proxy): send HSTS.
    tls: bool = False
    #: Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated).
    #: Empty: the header is ignored, so nobody can forge their address into the audit log
    #: or around the login throttle.
    trusted_proxies: str = ""
    api_docs: bool = False
    #: A demo instance (``kotwal demo``): every page says the data is synthetic.
    demo: bool = False
    debug: bool = False
    #: The domains to mount ("all", or names from kotwal.domains) and "console" for the
    #: officers' pages; a module switched off has no route, page or command at all.
    modules: str = "all"

    #: Session lifetimes in seconds, by account kind. The issue caps them; validators hold it.
    officer_idle_seconds: int = Field(default=30 * 60, ge=60, le=60 * 60)
    officer_absolute_seconds: int = Field(default=12 * 3600, ge=600, le=24 * 3600)
    admin_idle_seconds: int = Field(default=10 * 60, ge=60, le=15 * 60)
    admin_absolute_seconds: int = Field(default=8 * 3600, ge=600, le=12 * 3600)
    api_token_seconds: int = Field(default=15 * 60, ge=60, le=60 * 60)

    #: Login throttling: failures per account before a temporary lock, and before a hard lock
    #: that only an administrator or security officer can lift.
    lock_after_failures: int = Field(default=5, ge=3, le=20)
    hard_lock_after_failures: int = Field(default=15, ge=5, le=100)
    lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Failed logins per client address in a rolling window before the address gets 429.
    #: Failed logins one client address may make in the window, whatever the usernames (a
    #: sprayer), and for one typed username (a guesser).
    address_failures_per_window: int = Field(default=100, ge=5, le=10_000)
    #: Hours a power request (an account created, a role granted, a posting above a station,
    #: an account enabled) waits for a security officer's approval before it expires.
    power_approval_hours: int = Field(default=24, ge=1, le=168)
    address_account_failures_per_window: int = Field(default=10, ge=3, le=10_000)
    address_window_seconds: int = Field(default=15 * 60, ge=60)

    #: A file outside the database (ideally on another machine's mount) that receives every
    #: signed checkpoint as it is made; `kotwal audit verify` checks the log against it.
    audit_witness: Path | None = None
    #: The stations' time zone: "today" for review dates and overdue lists (IANA name).
    timezone: str = "Asia/Kolkata"
    #: Audit checkpoints: sign the chain head every N events or every S seconds.
    checkpoint_every_events: int = Field(default=10_000, ge=1)
    checkpoint_every_seconds: int = Field(default=300, ge=1)

    #: Breach defences (kotwal.watch): disclosure budgets, signals, step-up and suspension.
    #: Switched off only for a benchmark that measures the gate alone.
    watch_enabled: bool = True
    #: Per-role budgets overriding kotwal.watch.config.DEFAULT_BUDGETS, as JSON:
    #: ``{"constable": [soft per hour, hard per hour, soft per day, hard per day]}``.
    watch_budgets: dict[str, list[int]] = Field(default_factory=dict)
    #: Records a role may export in a rolling day, overriding
    #: kotwal.watch.config.DEFAULT_EXPORT_ROWS, as JSON: ``{"station_house_officer": 500}``.
    watch_export_rows: dict[str, int] = Field(default_factory=dict)
    #: Which kinds of disclosure count against a budget (distinct records; an export raises
    #: the score as a signal instead, since it is a supervisor's audited bulk action).
    watch_counted_kinds: str = "record,list,photo"
    #: Local hours (in ``timezone``) that count as unusual, "start-end", e.g. "23-5".
    watch_quiet_hours: str = "23-5"
    #: Share of reads under a case (beyond the reader's jurisdiction) that a supervisor must
    #: review; reads under a reason without a case are always reviewed.
    watch_purpose_sample: float = Field(default=0.1, ge=0.0, le=1.0)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    page_size_max: int = Field(default=100, ge=1, le=500)

    @field_validator("modules")
    @classmethod
    def _known_modules(cls, value: str) -> str:
        # Which names exist is the domains' business (kotwal.domains.enabled checks them).
        names = {m.strip().lower() for m in value.split(",") if m.strip()}
        bad = sorted(n for n in names if not n.replace("_", "").isalnum())
        if bad:
            raise ValueError(f"module names are words separated by commas, not {bad[0]!r}")
        return ",".join(sorted(names))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Kolkata"
            ) from exc
        return value

    @property
    def enabled_modules(self) -> frozenset[str]:
        return frozenset(m for m in self.modules.split(",") if m)

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'kotwal.db').resolve()}"

    @property
    def sqlite_path(self) -> Path | None:
        """The embedded database's file, when the store is SQLite on disk."""
        if not self.is_sqlite:
            return None
        database = make_url(self.sqlalchemy_url).database
        return Path(database) if database and database != ":memory:" else None

    @property
    def app_database_role(self) -> str | None:
        """The role the application sets after connecting; never on SQLite."""
        return None if self.is_sqlite else self.database_role

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")


def normalise_database_url(url: str) -> str:
    """Accept ``postgresql://`` URLs as people write them and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
