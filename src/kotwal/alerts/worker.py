"""The delivery worker: binds to the SMSC and submits the outbox (``kotwal alerts worker``).

One process holds the link's binds (``binds`` transceiver sessions, one thread each). Each bind
repeats: claim a batch of messages (committed, under a lease, before anything is sent), send
their parts keeping at most ``window`` submit_sm without a response, read what comes back
(submit_sm_resp, deliver_sm receipts, enquire_link), and commit what it learnt in one
transaction every few milliseconds. Several processes, on one machine or several, share the
outbox through the claim (``kotwal.alerts.delivery``).

- **Throttling.** ESME_RTHROTTLED or ESME_RMSGQFUL pauses the bind (200 ms by default,
  doubling while refusals continue, back to the start after a success); the refused message,
  and what the bind had claimed but not sent, go back to the queue due after the pause.
- **Retries without duplicates.** A part whose submit_sm_resp was recorded is never sent again;
  a message refused for a transient reason is sent again later, only its missing parts, with
  the same concatenation reference.
- **Leases.** A message whose lease would lapse before its response could come is handed back
  unsent rather than sent late, so two workers never hold one message at once.
- **Receipts.** A deliver_sm receipt is acknowledged only after it is committed, so an SMSC
  whose receipt was not acknowledged sends it again rather than it being lost.
- **Stopping.** SIGTERM or SIGINT: claim nothing more, hand back what is unsent, wait for the
  responses in flight, commit, unbind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import smpplib.exceptions  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]

from kotwal.alerts import audiences, channels, delivery, smpp
from kotwal.alerts.config import LEASE_MARGIN_SECONDS, DeliverySettings, delivery_settings
from kotwal.alerts.delivery import Claimed, Outcomes
from kotwal.alerts.sms import Encoding
from kotwal.alerts.smsc import SmscLink
from kotwal.core.clock import utcnow
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

log = logging.getLogger("kotwal.alerts.worker")

ESME_ROK, ESME_RSYSERR, ESME_RMSGQFUL, ESME_RTHROTTLED = 0x00, 0x08, 0x14, 0x58
#: Refusals that say "not now": the message is sent again after a pause.
THROTTLING = frozenset({ESME_RMSGQFUL, ESME_RTHROTTLED})
TRANSIENT = THROTTLING | {ESME_RSYSERR}
#: esm_class message type bits of a delivery receipt.
RECEIPT_TYPE = 0x04
#: message_state TLV values, as the receipt text names them.
# A table of data, aligned by hand: it reads better in rows than one item a line.
MESSAGE_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV",
                  6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD"}  # fmt: skip
#: Commit what was learnt at least this often, and at once past this many outcomes.
FLUSH_SECONDS = 0.02
FLUSH_OUTCOMES = 500
#: A receipt for a message_id not recorded yet is tried again at this many commits, then
#: dropped (an SMSC's receipt for another ESME's message).
RECEIPT_TRIES = 50
KEEPALIVE_SECONDS = 15.0
#: PDUs read after an unbind while waiting for its response (late receipts, say).
UNBIND_READS = 100


class ResponseTimeout(Exception):
    """The SMSC left a submit_sm without a response too long: the bind is dropped."""


@dataclass
class Stats:
    """Counts across a worker's binds (for the command's summary and the benchmark)."""

    parts_sent: int = 0
    parts_accepted: int = 0
    refusals: int = 0
    throttled: int = 0
    receipts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        """Add to the counters (thread-safe)."""
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


@dataclass
class Sending:
    """A claimed message on this bind: its parts still to send, and what became of the rest."""

    message: Claimed
    unsent: deque[smpp.Part]
    in_flight: int = 0
    #: Parts sent on this attempt, and parts accepted (on this attempt or an earlier one).
    sent: int = 0
    accepted: int = 0
    #: A refusal whose consequence waits until no part is in flight: ("retry"|"failed", code).
    refused: tuple[str, str] | None = None


@dataclass
class Flight:
    """One submit_sm awaiting its response."""

    sending: Sending
    part: int
    sent_at: float


def worker_name(index: int, run: str) -> str:
    """``host:pid:run:bind``, as the outbox's ``claimed_by`` records it (``run`` tells apart
    two workers of one process)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{run}:{index}"


class Bind:
    """One transceiver session and the loop that feeds it (see the module)."""

    def __init__(
        self,
        runtime: Runtime,
        link: SmscLink,
        settings: DeliverySettings,
        index: int,
        stop: threading.Event,
        stats: Stats,
        run: str,
    ) -> None:
        self.runtime, self.link, self.settings = runtime, link, settings
        self.index, self.stop, self.stats = index, stop, stats
        self.name = worker_name(index, run)
        self.channel = channels.smpp_channel(link.name)
        self.tags = smpp.DltTags(
            settings.tag_pe_id, settings.tag_template_id, settings.tag_chain_id
        )
        self.queue: deque[Sending] = deque()
        self.in_flight: dict[int, Flight] = {}
        self.outcomes = Outcomes()
        self.unmatched: list[tuple[str, str, int]] = []
        self.acks: list[int] = []
        self.first_outcome = 0.0
        self.paused_until = 0.0
        self.backoff_ms = settings.throttle_ms
        self.last_sent = time.monotonic()

    # --- the session ----------------------------------------------------------------------

    def run(self) -> None:
        """Bind, pump, and bind again after a lost connection, until stopped."""
        wait = 1.0
        while not self.stop.is_set():
            try:
                self._session()
                wait = 1.0
            except (
                smpplib.exceptions.ConnectionError,
                smpplib.exceptions.PDUError,
                OSError,
                ResponseTimeout,
            ) as exc:
                # The exception's class and text name the failure; no PDU or secret is in it.
                log.warning("bind %s lost: %s %s", self.index, type(exc).__name__, exc)
            except Exception:
                # The database went away, or a bug: the bind starts again rather than the
                # worker going quiet; the leases cover what it held.
                log.exception("bind %s failed", self.index)
            else:
                continue
            self._abandon()
            self.stop.wait(wait)
            wait = min(wait * 2, 30.0)

    def _session(self) -> None:
        client = smpp.new_client(self.link.host, self.link.port, self.settings.response_timeout)
        client.connect()
        try:
            client.bind_transceiver(
                system_id=self.link.system_id,
                password=self.link.password,
                system_type=self.link.system_type,
            )
            self._pump(client)
            self._unbind(client)
        finally:
            client.disconnect()

    def _unbind(self, client: Any) -> None:
        # Going away regardless: a failed unbind changes nothing. Its response is read so that
        # the SMSC ends the session cleanly (and smpplib knows it is no longer bound).
        with contextlib.suppress(
            smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError
        ):
            client.send_pdu(smpplib.smpp.make_pdu("unbind", client=client))
            for _ in range(UNBIND_READS):
                if client.read_pdu().command == "unbind_resp":
                    break

    def _pump(self, client: Any) -> None:
        while True:
            if self.stop.is_set():
                self._release_unsent(0.0)
                if not self.in_flight:
                    self._flush(client)
                    return
            else:
                self._fill(client)
            self._read(client)
            self._flush_if_due(client)
            self._check_timeouts()
            self._keepalive(client)

    def _abandon(self) -> None:
        """After a lost bind: commit what is known; hand back what was never sent. What was in
        flight keeps its lease and is retried, missing parts only, once the lease lapses."""
        self._release_unsent(0.0)
        self.in_flight.clear()
        self.acks.clear()  # the SMSC sends unacknowledged receipts again
        try:
            self._record()
        except Exception:  # the database too may be what failed; the leases cover it
            log.exception("bind %s could not record its outcomes", self.index)
            self.outcomes = Outcomes()

    # --- sending --------------------------------------------------------------------------

    def _fill(self, client: Any) -> None:
        """Claim when the queue is empty, then send while the window has room."""
        if time.monotonic() < self.paused_until:
            return
        if not channels.is_live(self.runtime, self.channel).live:
            # The link's channel is off (an officer, its expiry, or disuse): send nothing more,
            # and hand back what was claimed and not begun.
            self._release_unsent(channels.CACHE_SECONDS)
            return
        if not self.queue and len(self.in_flight) < self.link.window:
            self._claim()
        while self.queue and len(self.in_flight) < self.link.window:
            sending = self.queue[0]
            if not sending.unsent:
                self.queue.popleft()
                continue
            if sending.sent == 0 and not self._lease_ok(sending):
                self.queue.popleft()
                self._note(released=(sending.message.id, utcnow()))
                continue
            self._send(client, sending, sending.unsent.popleft())

    def _lease_ok(self, sending: Sending) -> bool:
        room = (sending.message.lease_until - utcnow()).total_seconds()
        return room > self.settings.response_timeout + LEASE_MARGIN_SECONDS

    def _claim(self) -> None:
        with UnitOfWork(self.runtime, write=True) as uow:
            claimed = delivery.claim(
                uow,
                self.name,
                self.settings.claim_batch,
                self.settings.lease_seconds,
                self.settings.max_attempts,
            )
        for message in claimed:
            sending = self._sending(message)
            if sending.unsent:
                self.queue.append(sending)
            else:
                # Every part was accepted on an earlier attempt whose worker lost the message
                # before marking it: nothing is sent, it is marked now.
                self._settle(sending)

    def _sending(self, message: Claimed) -> Sending:
        parts = smpp.parts_of(message.body, Encoding(message.encoding), message.concat_ref)
        unsent = deque(p for p in parts if p.number not in message.done_parts)
        return Sending(message, unsent, accepted=len(parts) - len(unsent))

    def _send(self, client: Any, sending: Sending, part: smpp.Part) -> None:
        message = sending.message
        dlt = smpp.dlt_tlvs(self.tags, message.pe_id, message.dlt_template_id, self.link.chain_id)
        pdu = smpp.submit_pdu(client, message.header, message.number, part, dlt)
        client.send_pdu(pdu)
        now = time.monotonic()
        self.in_flight[pdu.sequence] = Flight(sending, part.number, now)
        sending.in_flight += 1
        sending.sent += 1
        self.last_sent = now
        self.stats.add(parts_sent=1)

    # --- reading --------------------------------------------------------------------------

    def _read(self, client: Any) -> None:
        """Handle what the SMSC has sent; wait a little for it when there is nothing to send."""
        busy = bool(self.in_flight) or bool(self.queue)
        timeout = 0.005 if busy else self.settings.idle_seconds
        paused = self.paused_until - time.monotonic()
        if paused > 0:
            timeout = min(timeout, paused)
        if self.outcomes or self.acks:
            timeout = min(timeout, FLUSH_SECONDS)
        readable, _, _ = select.select([client._socket], [], [], timeout)
        while readable:
            self._handle(client, client.read_pdu())
            readable, _, _ = select.select([client._socket], [], [], 0)

    def _handle(self, client: Any, pdu: Any) -> None:
        command = pdu.command
        if command == "submit_sm_resp":
            self._response(pdu.sequence, int(pdu.status), pdu.message_id)
        elif command == "generic_nack":
            self._response(pdu.sequence, int(pdu.status) or ESME_RSYSERR, None)
        elif command == "deliver_sm":
            self._receipt(pdu)
        elif command == "enquire_link":
            answer = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
            answer.sequence = pdu.sequence
            client.send_pdu(answer)
        elif command == "unbind":
            answer = smpplib.smpp.make_pdu("unbind_resp", client=client)
            answer.sequence = pdu.sequence
            client.send_pdu(answer)
            raise smpplib.exceptions.ConnectionError("the SMSC unbound")

    def _response(self, sequence: int, status: int, message_id: Any) -> None:
        flight = self.in_flight.pop(sequence, None)
        if flight is None:
            return  # a response to a PDU of an earlier session
        sending = flight.sending
        sending.in_flight -= 1
        if status == ESME_ROK and message_id:
            self._accepted(sending, flight.part, _text(message_id))
        else:
            self._refused(sending, status)
        self._settle(sending)

    def _accepted(self, sending: Sending, part: int, smsc_id: str) -> None:
        self._note(accepted=(sending.message.id, part, smsc_id))
        sending.accepted += 1
        self.backoff_ms = self.settings.throttle_ms
        self.stats.add(parts_accepted=1)

    def _refused(self, sending: Sending, status: int) -> None:
        code = f"0x{status:02x}"
        self.stats.add(refusals=1)
        sending.unsent.clear()
        if status in TRANSIENT:
            sending.refused = ("retry", code)
        else:
            sending.refused = ("failed", code)
        if status in THROTTLING:
            self.stats.add(throttled=1)
            self._pause()

    def _pause(self) -> None:
        """Stop sending for the back-off; hand back what was claimed and not begun."""
        pause = self.backoff_ms / 1000
        self.paused_until = time.monotonic() + pause
        self._release_unsent(pause)
        self.backoff_ms = min(self.backoff_ms * 2, self.settings.throttle_max_ms)

    def _release_unsent(self, after: float) -> None:
        """Hand back the claimed messages not begun; stop sending the rest of those begun
        (they are retried, missing parts only, once their parts in flight are answered)."""
        due = utcnow() + timedelta(seconds=after)
        while self.queue:
            sending = self.queue.popleft()
            if sending.sent == 0:
                self._note(released=(sending.message.id, due))
                continue
            if sending.unsent:
                sending.unsent.clear()
                sending.refused = sending.refused or ("retry", "released")
            self._settle(sending)

    def _settle(self, sending: Sending) -> None:
        """Once nothing of a message is in flight, decide it: complete, or retried or failed
        (its accepted parts stay recorded either way)."""
        if sending.in_flight:
            return
        message = sending.message
        if sending.refused is None:
            if sending.accepted == message.parts:
                self._note(completed=message.id)
            return
        kind, code = sending.refused
        if kind == "failed":
            self._note(failed=(message.id, code))
        else:
            due = utcnow() + timedelta(milliseconds=self.backoff_ms)
            self._note(retry=(message.id, due, code))

    def _receipt(self, pdu: Any) -> None:
        self.acks.append(pdu.sequence)
        if (pdu.esm_class or 0) & 0x3C != RECEIPT_TYPE:
            return  # a message from a handset: not ours to keep
        found = receipt_of(pdu)
        if found is not None:
            self._note(receipt=found)
            self.stats.add(receipts=1)

    # --- committing -----------------------------------------------------------------------

    def _note(
        self,
        *,
        accepted: tuple[str, int, str] | None = None,
        completed: str | None = None,
        failed: tuple[str, str] | None = None,
        retry: tuple[str, datetime, str] | None = None,
        receipt: tuple[str, str] | None = None,
        released: tuple[str, datetime] | None = None,
    ) -> None:
        if not self.outcomes:
            self.first_outcome = time.monotonic()
        if accepted is not None:
            self.outcomes.accepted.append(accepted)
        if completed is not None:
            self.outcomes.completed.add(completed)
        if failed is not None:
            self.outcomes.failed[failed[0]] = failed[1]
        if retry is not None:
            self.outcomes.retry[retry[0]] = (retry[1], retry[2])
        if receipt is not None:
            self.outcomes.receipts.append(receipt)
        if released is not None:
            self.outcomes.released[released[0]] = released[1]

    def _flush_if_due(self, client: Any) -> None:
        pending = len(self.outcomes) + len(self.acks)
        if not pending and not self.unmatched:
            return
        idle = not self.in_flight and not self.queue
        if (
            idle
            or len(self.outcomes) >= FLUSH_OUTCOMES
            or time.monotonic() - self.first_outcome >= FLUSH_SECONDS
        ):
            self._flush(client)

    def _flush(self, client: Any) -> None:
        """Commit the outcomes, then acknowledge the receipts they hold."""
        self._record()
        for sequence in self.acks:
            answer = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
            answer.sequence = sequence
            client.send_pdu(answer)
        self.acks.clear()

    def _record(self) -> None:
        tries = {smsc_id: n for smsc_id, _, n in self.unmatched}
        for smsc_id, state, _ in self.unmatched:
            self.outcomes.receipts.append((smsc_id, state))
        outcomes, self.outcomes = self.outcomes, Outcomes()
        if not outcomes:
            self.unmatched = []
            return
        with UnitOfWork(self.runtime, write=True) as uow:
            left = delivery.record(uow, self.name, outcomes)
        if outcomes.accepted:
            channels.heartbeat(self.runtime, self.channel)
        self.unmatched = [
            (smsc_id, state, tries.get(smsc_id, 0) + 1)
            for smsc_id, state in left
            if tries.get(smsc_id, 0) + 1 < RECEIPT_TRIES
        ]

    # --- timers ---------------------------------------------------------------------------

    def _check_timeouts(self) -> None:
        if not self.in_flight:
            return
        oldest = min(flight.sent_at for flight in self.in_flight.values())
        if time.monotonic() - oldest > self.settings.response_timeout:
            raise ResponseTimeout(f"no submit_sm_resp in {self.settings.response_timeout} s")

    def _keepalive(self, client: Any) -> None:
        if time.monotonic() - self.last_sent > KEEPALIVE_SECONDS:
            client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
            self.last_sent = time.monotonic()


def _text(value: Any) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def receipt_of(pdu: Any) -> tuple[str, str] | None:
    """(SMSC message_id, state) of a delivery receipt: from the receipted_message_id and
    message_state TLVs when the SMSC sends them, else from the receipt text
    ("id:... sub:... dlvrd:... submit date:... done date:... stat:DELIVRD err:...")."""
    smsc_id = getattr(pdu, "receipted_message_id", None)
    state = MESSAGE_STATES.get(getattr(pdu, "message_state", None) or 0)
    text = _text(pdu.short_message or b"")
    fields = dict(
        item.split(":", 1)
        for item in text.replace("submit date", "submit_date")
        .replace("done date", "done_date")
        .split()
        if ":" in item
    )
    smsc_id = _text(smsc_id) if smsc_id else fields.get("id")
    state = state or fields.get("stat")
    if not smsc_id or not state:
        return None
    return smsc_id, state


def run(
    runtime: Runtime,
    link: SmscLink,
    stop: threading.Event,
    *,
    binds: int | None = None,
    settings: DeliverySettings | None = None,
) -> Stats:
    """Run the link's binds until ``stop`` is set; returns what they did."""
    chosen = settings or delivery_settings()
    stats = Stats()
    tag = secrets.token_hex(3)
    threads = [
        threading.Thread(
            target=Bind(runtime, link, chosen, index, stop, stats, tag).run,
            name=f"smpp-bind-{index}",
            daemon=True,
        )
        for index in range(binds or link.binds)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


#: How often the housekeeping thread writes down channels that disabled themselves.
SWEEP_SECONDS = 60.0


def housekeeping(runtime: Runtime, stop: threading.Event) -> None:
    """A worker's other duties, until ``stop`` is set: fan approved alerts out to their
    subscribers (every second) and sweep the channels (every minute). It runs whether or not
    an SMSC link is set, so an alert's recipients are counted before a link exists."""
    swept = 0.0
    while not stop.is_set():
        try:
            audiences.expand_due(runtime)
            if time.monotonic() - swept >= SWEEP_SECONDS:
                channels.sweep(runtime)
                swept = time.monotonic()
        except Exception as exc:
            log.warning("alerts housekeeping: %s", type(exc).__name__)
        stop.wait(audiences.EXPAND_POLL_SECONDS)
