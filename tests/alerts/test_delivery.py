"""Delivery over SMPP to a real peer (the smpp34 package's server on 127.0.0.1): what arrives
carries the DLT IDs, Telugu arrives as UCS-2 in concatenated parts, throttling is waited out,
receipts settle each message, and nothing is sent without the DLT TLVs."""

from __future__ import annotations

from collections import Counter

from kotwal.alerts.delivery import DELIVERED, SUBMITTED, UNDELIVERED
from kotwal.alerts.demo import PE_ID
from kotwal.core.runtime import Runtime
from tests.alerts.helpers import OTP, RAIN, RAIN_TELUGU, rain_telugu
from tests.alerts.outbox import (
    CHAIN_ID,
    all_in,
    configure_link,
    mobile,
    queue_alert,
    queue_otps,
    running,
    statuses,
    submissions,
    until,
)
from tests.alerts.peer import CHAIN_ID_TAG, PE_ID_TAG, TEMPLATE_ID_TAG, Peer
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
    queue_alert(runtime, world, templates, [mobile(1)], telugu=True)
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
