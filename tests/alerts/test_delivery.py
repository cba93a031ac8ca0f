"""Delivery over SMPP to a real peer (the smpp34 package's server on 127.0.0.1): what arrives
carries the DLT IDs, Telugu arrives as UCS-2 in concatenated parts, throttling is waited out,
receipts settle each message, and nothing is sent without the DLT TLVs."""

from __future__ import annotations

import secrets
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from kotwal.alerts import delivery, smpp
from kotwal.alerts.delivery import DELIVERED, SUBMITTED, UNDELIVERED, Outcomes
from kotwal.alerts.demo import PE_ID
from kotwal.alerts.models import AlertOutboxMessage, AlertSmsc
from kotwal.alerts.sms import Encoding
from kotwal.core.clock import utcnow
from kotwal.core.models import AuditEventRow
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.helpers import OTP, RAIN, RAIN_TELUGU, rain_telugu
from tests.alerts.outbox import (
    CHAIN_ID,
    all_in,
    configure_link,
    mobile,
    queue_alert,
    queue_otps,
    running,
    settings,
    statuses,
    submissions,
    until,
)
from tests.alerts.peer import (
    CHAIN_ID_TAG,
    ESME_RMISSINGOPTPARAM,
    PE_ID_TAG,
    TEMPLATE_ID_TAG,
    Peer,
)
from tests.factories import World


def test_every_message_reaches_the_peer_once_with_its_pe_id_template_id_and_chain_id(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    numbers = [mobile(i) for i in range(40)]
    queue_alert(runtime, world, templates, numbers)
    queue_otps(runtime, 10, start=100)
    link = configure_link(runtime, world, peer)
    with running(runtime, link):
        assert until(all_in(runtime, {SUBMITTED}, 50))
    received = peer.accepted()
    assert Counter(r.destination for r in received) == Counter(
        "91" + n for n in numbers + [mobile(i) for i in range(100, 110)]
    )
    for r in received:
        assert r.tlvs[PE_ID_TAG] == PE_ID.encode()
        assert r.tlvs[TEMPLATE_ID_TAG] in (RAIN.encode(), OTP.encode())
        assert r.tlvs[CHAIN_ID_TAG] == CHAIN_ID.encode()
    assert Counter(r.tlvs[TEMPLATE_ID_TAG] for r in received) == {
        RAIN.encode(): 40,
        OTP.encode(): 10,
    }
    assert peer.rejected_missing_dlt == 0
    assert len(submissions(runtime)) == 50


def test_english_arrives_as_gsm7_from_the_registered_header(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    queue_otps(runtime, 1)
    with running(runtime, configure_link(runtime, world, peer)):
        assert until(all_in(runtime, {SUBMITTED}, 1))
    (r,) = peer.accepted()
    assert r.data_coding == 0x00 and r.esm_class == 0
    assert r.source == "DEMOPL"
    assert r.short_message.startswith(b"100000 is your OTP")


def test_telugu_arrives_as_ucs2_in_concatenated_parts_that_join_to_the_approved_text(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    queue_alert(runtime, world, templates, [mobile(1)], telugu=True)
    with running(runtime, configure_link(runtime, world, peer)):
        assert until(all_in(runtime, {SUBMITTED}, 1))
    parts = peer.accepted()
    assert len(parts) > 1
    assert {p.data_coding for p in parts} == {0x08}
    assert {p.esm_class & 0x40 for p in parts} == {0x40}
    headers = [p.short_message[:6] for p in parts]
    assert {h[:4] for h in headers} == {headers[0][:4]}  # one reference for all parts
    assert sorted(h[5] for h in headers) == list(range(1, len(parts) + 1))
    assert {h[4] for h in headers} == {len(parts)}
    ordered = sorted(parts, key=lambda p: p.short_message[5])
    assert "".join(p.text for p in ordered) == rain_telugu()
    assert all(len(p.short_message) <= 140 for p in parts)
    assert {p.tlvs[TEMPLATE_ID_TAG] for p in parts} == {RAIN_TELUGU.encode()}


def test_a_throttling_smsc_is_waited_out_and_each_message_still_arrives_once(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    peer.throttle_first = 15
    numbers = [mobile(i) for i in range(30)]
    queue_alert(runtime, world, templates, numbers)
    with running(runtime, configure_link(runtime, world, peer)) as stats:
        assert until(all_in(runtime, {SUBMITTED}, 30))
    assert peer.throttled == 15
    assert stats.throttled == 15
    assert Counter(r.destination for r in peer.accepted()) == Counter("91" + n for n in numbers)


def test_delivery_receipts_mark_each_message_delivered(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    peer.receipt_state = 2
    queue_alert(runtime, world, templates, [mobile(i) for i in range(20)])
    # mobile(1) moves to station B, which then gets a Telugu alert: 21 messages in all.
    queue_alert(runtime, world, templates, [mobile(1)], telugu=True, station=world.station_b)
    with running(runtime, configure_link(runtime, world, peer)):
        assert until(all_in(runtime, {DELIVERED}, 21))
    assert {receipt for *_, receipt in submissions(runtime)} == {"DELIVRD"}


def test_a_failed_receipt_marks_the_message_undelivered(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    peer.receipt_state = 5
    queue_otps(runtime, 3)
    with running(runtime, configure_link(runtime, world, peer)):
        assert until(all_in(runtime, {UNDELIVERED}, 3))
    assert statuses(runtime) == {UNDELIVERED: 3}


def test_a_message_whose_lease_lapsed_is_finished_with_its_missing_parts_only(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    """A worker died after the SMSC accepted part 1 of a Telugu alert (and that was recorded):
    the next worker sends the other parts, under the same concatenation reference."""
    queue_alert(runtime, world, templates, [mobile(1)], telugu=True)
    with UnitOfWork(runtime, write=True) as uow:
        (claimed,) = delivery.claim(uow, "dead:1:x:0", 10, lease_seconds=60, max_attempts=10)
    with UnitOfWork(runtime, write=True) as uow:
        delivery.record(uow, "dead:1:x:0", Outcomes(accepted=[(claimed.id, 1, "earlier-1")]))
    lapse_leases(runtime)
    with running(runtime, configure_link(runtime, world, peer)):
        assert until(all_in(runtime, {SUBMITTED}, 1))
    parts = peer.accepted()
    assert sorted(p.short_message[5] for p in parts) == list(range(2, claimed.parts + 1))
    assert {p.short_message[3] for p in parts} == {claimed.concat_ref}
    assert sorted(part for _, part, *_ in submissions(runtime)) == list(range(1, claimed.parts + 1))


def test_two_workers_share_the_outbox_and_send_each_message_once(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    numbers = [mobile(i) for i in range(600)]
    queue_alert(runtime, world, templates, numbers)
    link = configure_link(runtime, world, peer, binds=2, window=5)
    small = settings(claim_batch=10)
    with running(runtime, link, small), running(runtime, link, small):
        assert until(all_in(runtime, {SUBMITTED}, 600))
    assert Counter(r.destination for r in peer.accepted()) == Counter("91" + n for n in numbers)
    with runtime.db.transaction(write=False) as s:
        binds = s.execute(select(func.count(func.distinct(AlertOutboxMessage.claimed_by))))
        assert binds.scalar_one() == 0  # every claim released on success
    assert len(peer.bound) == 4


def test_the_peer_rejects_a_submit_without_the_dlt_tlvs(peer: Peer) -> None:
    """The test peer does what an operator's DLT scrubber does (so a pass above means kotwal
    sent the TLVs, not that nobody looked)."""
    client = smpp.new_client("127.0.0.1", peer.port, 10)
    client.connect()
    try:
        client.bind_transceiver(system_id="probe", password=secrets.token_hex(4))
        client.send_message(
            source_addr="DEMOPL", destination_addr="919800000001", short_message=b"no DLT IDs"
        )
        answer = client.read_pdu()
    finally:
        client.disconnect()
    assert answer.command == "submit_sm_resp"
    assert answer.status == ESME_RMISSINGOPTPARAM
    assert peer.rejected_missing_dlt == 1


def test_kotwal_cannot_build_a_submit_without_every_dlt_id() -> None:
    tags = smpp.DltTags()
    for ids in (
        ("", "1999000000000000101", "c"),
        ("1999000000000000001", " ", "c"),
        ("1999000000000000001", "1999000000000000101", ""),
    ):
        with pytest.raises(smpp.MissingDltIds):
            smpp.dlt_tlvs(tags, *ids)
    part = smpp.parts_of("hello", Encoding.GSM7, None)[0]
    bare = smpp.submit_pdu(smpp.new_client("127.0.0.1", 9, 1), "DEMOPL", "9800000001", part, b"")
    with pytest.raises(smpp.MissingDltIds):
        bare.generate()


def test_the_tlv_tags_follow_the_settings(
    runtime: Runtime, world: World, templates: dict[str, str], peer: Peer
) -> None:
    queue_otps(runtime, 2)
    moved = settings(tag_pe_id=0x1410, tag_template_id=0x1411, tag_chain_id=0x1412)
    with running(runtime, configure_link(runtime, world, peer), moved):
        assert until(lambda: peer.rejected_missing_dlt == 2)
    assert {frozenset(r.tlvs) for r in peer.received} == {frozenset({0x1410, 0x1411, 0x1412})}


def test_the_bind_password_is_sealed_and_never_shown(
    runtime: Runtime, world: World, peer: Peer
) -> None:
    link = configure_link(runtime, world, peer)
    password = link.password.encode()
    with runtime.db.transaction(write=False) as s:
        stored = s.execute(select(AlertSmsc.password)).scalar_one()
        set_by = AuditEventRow.action == "alert_smsc.set"
        events = s.execute(select(AuditEventRow.detail).where(set_by))
        details = [str(detail) for (detail,) in events]
    assert password not in bytes(stored)
    assert details and all(link.password not in d for d in details)
    assert link.password not in repr(link)


def lapse_leases(runtime: Runtime) -> None:
    """Let every lease run out (the time a dead worker's lease takes to lapse, skipped)."""
    with runtime.db.transaction() as s:
        s.execute(
            update(AlertOutboxMessage)
            .where(AlertOutboxMessage.status == "submitting")
            .values(due_at=utcnow())
        )
