"""An outbox message as SMPP 3.4 ``submit_sm`` PDUs: its parts, their encoding, the DLT TLVs.

Built on ``smpplib`` (the PDU codec and the socket); this module adds only what DLT and the
force need and the library does not do:

- **Parts** are cut exactly where ``alerts/sms.py`` counted them, so the approver's part count
  is what goes out: GSM-7 160 septets alone or 153 per part, UCS-2 70 units alone or 67 per
  part, an escape and its character never apart, a surrogate pair never apart. A long message
  carries an 8-bit concatenation header (UDH ``05 00 03 ref total seq``, ``esm_class`` 0x40);
  the reference is chosen once per message and kept, so a part sent again after a crash joins
  the parts that went before it.
- **Encoding.** GSM-7 is sent unpacked, one septet per octet, with ``data_coding`` 0 (the
  SMSC's default alphabet, which is how SMSCs take GSM text over SMPP); UCS-2 as UTF-16BE with
  ``data_coding`` 8. Telugu is always UCS-2.
- **The DLT TLVs**: the principal entity's PE ID, the content template ID and the telemarketer
  chain ID, as vendor TLVs (tags 0x1400, 0x1401, 0x1402 unless configured otherwise), their
  values the IDs' ASCII octets. A PDU cannot be built without all three: there is no code
  path that sends a message the operator's scrubber would drop, or worse, let through.

``smpplib`` logs every PDU in hex at DEBUG, the bind's password included, so its loggers are
held at WARNING here whatever the process's logging says.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from typing import Any

import smpplib.client  # type: ignore[import-untyped]
import smpplib.command  # type: ignore[import-untyped]
import smpplib.gsm  # type: ignore[import-untyped]

from kotwal.alerts.sms import LIMITS, Encoding, unit_costs

#: data_coding values.
DATA_CODING = {Encoding.GSM7: 0x00, Encoding.UCS2: 0x08}
#: esm_class bit: the short message starts with a user data header.
UDHI = 0x40
#: Source address: alphanumeric (the six-letter header); destination: international, E.164.
TON_ALPHANUMERIC, TON_INTERNATIONAL, NPI_UNKNOWN, NPI_E164 = 0x05, 0x01, 0x00, 0x01
#: Ask for a receipt on the final outcome, success or failure.
RECEIPT_FINAL = 0x01
COUNTRY_CODE = "91"
#: The loggers that would print PDUs (and so the bind's password) at DEBUG.
QUIET_LOGGERS = ("smpplib", "smpplib.command", "kotwal.alerts.smpp.bind")

for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)


class MissingDltIds(ValueError):
    """A message without its PE ID, template ID or chain ID: it is never built."""


@dataclass(frozen=True, slots=True)
class DltTags:
    """The TLV tags the SMSC expects the three DLT IDs under."""

    pe_id: int = 0x1400
    template_id: int = 0x1401
    chain_id: int = 0x1402


@dataclass(frozen=True, slots=True)
class Part:
    """One short message of a message: its 1-based number, the part count, and the octets."""

    number: int
    total: int
    data_coding: int
    esm_class: int
    short_message: bytes


def split_text(text: str, encoding: Encoding) -> list[str]:
    """The text of each part, cut where ``sms.shape`` counts them (see the module)."""
    single, per_part = LIMITS[encoding]
    costs = unit_costs(text, encoding)
    if sum(costs) <= single:
        return [text]
    chunks: list[str] = []
    start = filled = 0
    for index, cost in enumerate(costs):
        if filled + cost > per_part:
            chunks.append(text[start:index])
            start, filled = index, 0
        filled += cost
    chunks.append(text[start:])
    return chunks


def encode(text: str, encoding: Encoding) -> bytes:
    """The octets of ``text``: unpacked GSM 03.38 septets, or UTF-16BE."""
    if encoding is Encoding.UCS2:
        return text.encode("utf-16-be")
    # smpplib's table has no form feed (escape 0x0A); everything else of sms.py's alphabet
    # and extension table is in it.
    pieces = text.split("\f")
    return b"\x1b\x0a".join(smpplib.gsm.gsm_encode(piece) for piece in pieces)


def udh(ref: int, total: int, number: int) -> bytes:
    """The concatenation header with an 8-bit reference."""
    return bytes((0x05, 0x00, 0x03, ref & 0xFF, total, number))


def parts_of(text: str, encoding: Encoding, ref: int | None) -> list[Part]:
    """The short messages that carry ``text``; ``ref`` is required when there are several."""
    chunks = split_text(text, encoding)
    coding = DATA_CODING[encoding]
    if len(chunks) == 1:
        return [Part(1, 1, coding, 0, encode(text, encoding))]
    if ref is None:
        raise ValueError("a message of several parts needs its concatenation reference")
    total = len(chunks)
    return [
        Part(n, total, coding, UDHI, udh(ref, total, n) + encode(chunk, encoding))
        for n, chunk in enumerate(chunks, start=1)
    ]


def tlv(tag: int, value: bytes) -> bytes:
    """One optional parameter: tag, length, value."""
    return struct.pack(">HH", tag, len(value)) + value


def dlt_tlvs(tags: DltTags, pe_id: str, template_id: str, chain_id: str) -> bytes:
    """The three DLT TLVs; refuses to make them if any ID is missing."""
    ids = {"PE ID": pe_id, "template ID": template_id, "chain ID": chain_id}
    missing = [name for name, value in ids.items() if not (value and value.strip())]
    if missing:
        raise MissingDltIds(f"no {', '.join(missing)}: a message without it is never sent")
    return (
        tlv(tags.pe_id, pe_id.strip().encode("ascii"))
        + tlv(tags.template_id, template_id.strip().encode("ascii"))
        + tlv(tags.chain_id, chain_id.strip().encode("ascii"))
    )


class DltSubmitSM(smpplib.command.SubmitSM):  # type: ignore[misc]
    """smpplib's submit_sm with the DLT TLVs after its own parameters. (smpplib has no API for
    vendor TLVs on a submit; it encodes parameters in order, so they go at the end.)"""

    dlt: bytes = b""

    def generate_params(self) -> bytes:
        """The body: smpplib's parameters, then the DLT TLVs, which must be there."""
        if not self.dlt:
            raise MissingDltIds("a submit_sm without the DLT TLVs is never sent")
        body: bytes = super().generate_params()
        return body + self.dlt


def destination(number: str) -> str:
    """A ten-digit Indian mobile number as the SMSC wants it (91XXXXXXXXXX)."""
    return COUNTRY_CODE + number


def submit_pdu(client: Any, header: str, number: str, part: Part, dlt: bytes) -> DltSubmitSM:
    """The submit_sm of one part, numbered by ``client``'s sequence."""
    pdu = DltSubmitSM(
        "submit_sm",
        client=client,
        source_addr_ton=TON_ALPHANUMERIC,
        source_addr_npi=NPI_UNKNOWN,
        source_addr=header,
        dest_addr_ton=TON_INTERNATIONAL,
        dest_addr_npi=NPI_E164,
        destination_addr=destination(number),
        esm_class=part.esm_class,
        data_coding=part.data_coding,
        registered_delivery=RECEIPT_FINAL,
        short_message=part.short_message,
    )
    pdu.dlt = dlt
    return pdu


def new_client(host: str, port: int, timeout: float) -> Any:
    """An smpplib client whose PDUs are never logged (see the module)."""
    return smpplib.client.Client(
        host,
        port,
        timeout=timeout,
        logger_name="kotwal.alerts.smpp.bind",
        allow_unknown_opt_params=True,
    )
