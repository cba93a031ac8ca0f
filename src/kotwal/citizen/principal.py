"""The citizen behind a request on the citizens' surface."""

from __future__ import annotations

from dataclasses import dataclass

from kotwal.core.policy import Actor


@dataclass(frozen=True)
class Citizen:
    """A citizen's pseudonymous id and the device session their token belongs to."""

    citizen_id: str
    session_id: str
    client_addr: str | None = None

    @property
    def actor(self) -> Actor:
        """The citizen as the audit log names them: no officer's account, no permission."""
        return Actor(
            account_id=None,
            username=f"citizen:{self.citizen_id}",
            session_id=self.session_id,
            client_addr=self.client_addr,
        )
