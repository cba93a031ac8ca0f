"""The SMSC the delivery tests submit to: the ``smpp34`` package's SMPP 3.4 server, a real peer
on 127.0.0.1, run on its own event loop in a thread.

smpp34's server accepts binds and hands each submit_sm to its owner to accept (with a
message_id) or reject (with a command status); it has no notion of DLT. What it does with each
submit is therefore decided here, through that API and nothing else: every submit_sm is
recorded as it arrived (addresses, data_coding, esm_class, the short message and every TLV,
byte for byte); one without all three DLT TLVs is rejected with ESME_RMISSINGOPTPARAM, as an
operator's DLT scrubber would drop it; on request some are refused with ESME_RTHROTTLED; and
an accepted message can be followed by a delivery receipt (deliver_sm) on the same session.
No SMPP is spoken by this file: the wire is smpp34's.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import smpp34

ESME_RMISSINGOPTPARAM = 0xC3
PE_ID_TAG, TEMPLATE_ID_TAG, CHAIN_ID_TAG = 0x1400, 0x1401, 0x1402
DLT_TAGS = (PE_ID_TAG, TEMPLATE_ID_TAG, CHAIN_ID_TAG)
TLV_RECEIPTED_MESSAGE_ID, TLV_MESSAGE_STATE = 0x001E, 0x0427
DELIVERED_STATE = 2


@dataclass(frozen=True)
class Received:
    """A submit_sm as the peer received it."""

    destination: str
    source: str
    data_coding: int
    esm_class: int
    short_message: bytes
    tlvs: dict[int, bytes]
    accepted_as: str | None

    @property
    def text(self) -> str:
        """The text of this part without its concatenation header."""
        body = self.short_message[6:] if self.esm_class & 0x40 else self.short_message
        if self.data_coding == 0x08:
            return body.decode("utf-16-be")
        return body.decode("ascii", "replace")


@dataclass
class Peer:
    """A running peer: its port, what it received, and knobs the test sets before sending."""

    port: int
    received: list[Received] = field(default_factory=list)
    rejected_missing_dlt: int = 0
    throttled: int = 0
    #: Refuse the first N submits with ESME_RTHROTTLED (then accept).
    throttle_first: int = 0
    #: Follow each accepted submit with a receipt in this state (None: no receipt).
    receipt_state: int | None = None
    bound: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        """The submits accepted, in arrival order."""
        with self.lock:
            return [r for r in self.received if r.accepted_as is not None]

    def wait_for(self, predicate: Callable[[Peer], bool], seconds: float = 60.0) -> bool:
        """Poll until ``predicate(self)`` holds (a bound, not a timing assertion)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.02)
        return predicate(self)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PeerThread:
    """Runs a :class:`Peer` on its own event loop until :meth:`stop`."""

    def __init__(self) -> None:
        self.peer = Peer(port=free_port())
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smpp-peer", daemon=True)
        self._server: smpp34.Server | None = None
        self._failure: BaseException | None = None

    def start(self) -> Peer:
        """Start listening; returns once the port accepts binds."""
        self._thread.start()
        if not self._ready.wait(10) or self._failure is not None:
            raise RuntimeError(f"the SMPP peer did not start: {self._failure!r}")
        return self.peer

    def stop(self) -> None:
        """Stop the server and its loop."""
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(_stop(self._server), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # reported by start()
            self._failure = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.create_task(self._serve())
        self._loop.run_forever()

    async def _start(self) -> None:
        self._server = smpp34.Server(host="127.0.0.1", port=self.peer.port, system_id="PEER")
        await self._server.start()

    async def _serve(self) -> None:
        assert self._server is not None
        sessions: dict[str, smpp34.Esme] = {}
        count = 0
        while True:
            event = await self._server.next()
            if isinstance(event, smpp34.Esme):
                sessions[event.session_id] = event
                self.peer.bound.append(event.system_id)
            elif isinstance(event, smpp34.SubmitSmEvent):
                count += 1
                message_id = self._decide(event, f"peer-{count}")
                receipt = self.peer.receipt_state
                if message_id is not None and receipt is not None:
                    esme = sessions.get(event.session_id)
                    if esme is not None:
                        self._loop.create_task(_receipt(esme, event, message_id, receipt))

    def _decide(self, event: smpp34.SubmitSmEvent, message_id: str) -> str | None:
        """Accept, reject for missing DLT TLVs, or throttle; record the submit either way."""
        tlvs = {t.tag: bytes(t.value) for t in event.tlvs}
        peer = self.peer
        accepted: str | None = None
        if not all(tlvs.get(tag) for tag in DLT_TAGS):
            peer.rejected_missing_dlt += 1
            event.reject(ESME_RMISSINGOPTPARAM)
        elif peer.throttled < peer.throttle_first:
            peer.throttled += 1
            event.reject(smpp34.ESME_RTHROTTLED)
        else:
            accepted = message_id
            event.accept(message_id=message_id)
        with peer.lock:
            peer.received.append(
                Received(
                    event.destination_addr,
                    event.source_addr,
                    event.data_coding,
                    event.esm_class,
                    bytes(event.short_message),
                    tlvs,
                    accepted,
                )
            )
        return accepted


async def _stop(server: smpp34.Server) -> None:
    await server.stop()


async def _receipt(
    esme: smpp34.Esme, event: smpp34.SubmitSmEvent, message_id: str, state: int
) -> None:
    """A delivery receipt for ``message_id``, as SMSCs send them: TLVs and the usual text."""
    stat = {2: "DELIVRD", 5: "UNDELIV"}.get(state, "UNKNOWN")
    text = f"id:{message_id} sub:001 dlvrd:001 submit date:2608141200 done date:2608141201 "
    text += f"stat:{stat} err:000 text:"
    await esme.deliver_sm(
        event.source_addr,
        text.encode("ascii"),
        source_addr=event.destination_addr,
        esm_class=0x04,
        tlvs=[
            smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, message_id.encode("ascii") + b"\x00"),
            smpp34.Tlv(TLV_MESSAGE_STATE, bytes([state])),
        ],
    )
