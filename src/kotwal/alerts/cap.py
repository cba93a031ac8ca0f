"""CAP 1.2 documents: built, validated against the OASIS schema, signed, and verified.

Pure functions over plain values; :mod:`kotwal.alerts.publication` feeds them an approved
alert and stores what comes out. A document is:

- built with lxml in the schema's element order (the schema enforces it);
- validated against ``data/CAP-v1.2.xsd`` (shipped with its copyright line), before signing
  and again after, since what is stored and served is the signed document;
- signed with an enveloped XML Signature (ECDSA-SHA256, SHA-256 digest, exclusive XML
  canonicalisation), the signature being the last child of ``alert``, where CAP 1.2 leaves an
  open slot for it. The public key is in its ``KeyInfo`` so that any XML Signature tool can
  check it, but kotwal trusts only its own key (:func:`verify` compares the two).

The ward polygons come from ``data/ghmc-wards.json``, derived from OpenStreetMap (ODbL; see
``data/README.md``).
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature as BadSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree  # type: ignore[import-untyped]
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DATA_DIR = Path(__file__).parent / "data"
SCHEMA_FILE = DATA_DIR / "CAP-v1.2.xsd"
WARDS_FILE = DATA_DIR / "ghmc-wards.json"
#: The parameter carrying the SMS text as sent, and the header it was sent under.
SMS_PARAMETER = "SMS"
SMS_HEADER_PARAMETER = "SMS sender"
#: Geocode names: a kotwal jurisdiction by its code, and a GHMC ward by its code.
WARD_GEOCODE = "GHMC-ward"
_TELUGU = re.compile("[\u0c00-\u0c7f]")
# Documents parsed for verification come from our own store, but a tampered row is exactly
# what verification is for: no entities, no network, no huge trees.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_VERIFY = SignatureConfiguration(
    require_x509=False,
    location="./",
    expect_references=1,
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)


class CapInvalid(ValueError):
    """A generated document does not validate against the CAP 1.2 schema."""


@dataclass(frozen=True)
class Area:
    """One ``area``: its description, polygons ("lat,lon lat,lon ...") and geocodes."""

    description: str
    polygons: tuple[str, ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Info:
    """One ``info`` block: one language's words about the event."""

    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str | None = None
    #: The SMS text and its sender header, on the block in the SMS's language.
    sms: str | None = None
    sms_header: str | None = None


@dataclass(frozen=True)
class CapAlert:
    """What a CAP document says, before it is written out."""

    identifier: str
    sender: str
    sender_name: str
    sent: datetime
    expires: datetime
    status: str
    info: tuple[Info, ...]
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class Ward:
    """A GHMC ward, with the outer rings of its boundary as CAP polygons."""

    code: str
    name: str
    polygons: tuple[str, ...]


def language_of(text: str) -> str:
    """The CAP language of an SMS text: Telugu if it has Telugu letters, else English."""
    return "te-IN" if _TELUGU.search(text) else "en-IN"


def text_key_form(text: str) -> str:
    """A text as compared for verification: NFC, white space folded to single spaces, trimmed,
    because a text pasted from a phone rarely keeps the sender's line breaks."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def cap_time(moment: datetime) -> str:
    """A moment as CAP 1.2 wants it: seconds, and a numeric offset (never "Z")."""
    text = moment.replace(microsecond=0).isoformat()
    if not re.search(r"[+-]\d\d:\d\d$", text):
        raise ValueError("a CAP time needs its offset from UTC")
    return text


# --- wards ---------------------------------------------------------------------------------


@cache
def wards() -> dict[str, Ward]:
    """The GHMC wards by code ("91-khairatabad"), read once from the shipped file."""
    raw = json.loads(WARDS_FILE.read_text(encoding="utf-8"))
    return {
        code: Ward(code, entry["name"], tuple(entry["polygons"]))
        for code, entry in raw["wards"].items()
    }


def find_ward(name: str) -> Ward | None:
    """A ward by its code, or by its number alone when only one ward has it."""
    known = wards()
    if name in known:
        return known[name]
    if name.isdigit():
        found = [w for code, w in known.items() if code.split("-", 1)[0] == str(int(name))]
        return found[0] if len(found) == 1 else None
    return None


# --- building and validating -----------------------------------------------------------------


def _child(parent: Any, tag: str, text: str | None = None) -> Any:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _pair(parent: Any, tag: str, name: str, value: str) -> None:
    pair = _child(parent, tag)
    _child(pair, "valueName", name)
    _child(pair, "value", value)


def _area(parent: Any, area: Area) -> None:
    element = _child(parent, "area")
    _child(element, "areaDesc", area.description)
    for polygon in area.polygons:
        _child(element, "polygon", polygon)
    for name, value in area.geocodes:
        _pair(element, "geocode", name, value)


def _info(parent: Any, alert: CapAlert, info: Info) -> None:
    # The order is the schema's: it rejects any other.
    element = _child(parent, "info")
    _child(element, "language", info.language)
    _child(element, "category", info.category)
    _child(element, "event", info.event)
    _child(element, "urgency", info.urgency)
    _child(element, "severity", info.severity)
    _child(element, "certainty", info.certainty)
    _child(element, "effective", cap_time(alert.sent))
    _child(element, "expires", cap_time(alert.expires))
    _child(element, "senderName", alert.sender_name)
    _child(element, "headline", info.headline)
    _child(element, "description", info.description)
    if info.instruction:
        _child(element, "instruction", info.instruction)
    if info.sms is not None:
        _pair(element, "parameter", SMS_PARAMETER, info.sms)
    if info.sms_header is not None:
        _pair(element, "parameter", SMS_HEADER_PARAMETER, info.sms_header)
    for area in alert.areas:
        _area(element, area)


def build(alert: CapAlert) -> Any:
    """The ``alert`` element of a CAP 1.2 document (unsigned)."""
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _child(root, "identifier", alert.identifier)
    _child(root, "sender", alert.sender)
    _child(root, "sent", cap_time(alert.sent))
    _child(root, "status", alert.status)
    _child(root, "msgType", "Alert")
    _child(root, "scope", "Public")
    for info in alert.info:
        _info(root, alert, info)
    return root


@cache
def schema() -> Any:
    """The OASIS CAP 1.2 schema, shipped in ``data/`` (parsed once per process)."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), _PARSER))


def validate(root: Any) -> None:
    """Raise :class:`CapInvalid` with the schema's first complaint if ``root`` is not valid."""
    checker = schema()
    if not checker.validate(root):
        raise CapInvalid(str(checker.error_log.last_error))


# --- signing and verifying -------------------------------------------------------------------


def sign(root: Any, key: ec.EllipticCurvePrivateKey) -> bytes:
    """``root`` with an enveloped signature, serialised as the document to store and serve."""
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(root, key=key)
    validate(signed)
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def issue(alert: CapAlert, key: ec.EllipticCurvePrivateKey) -> bytes:
    """Build, validate and sign the document of ``alert``."""
    root = build(alert)
    validate(root)
    return sign(root, key)


@dataclass(frozen=True)
class Verified:
    """What a verified document says: only what the signature covers."""

    identifier: str
    sent: str
    expires: str | None
    headlines: dict[str, str]
    sms: str | None
    sms_header: str | None
    areas: tuple[str, ...]


def _point(public: ec.EllipticCurvePublicKey) -> str:
    """The public point as XML Signature 1.1 writes it in ``ECKeyValue/PublicKey``."""
    raw = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.b64encode(raw).decode("ascii")


def _same_key(pem: bytes, public: ec.EllipticCurvePublicKey) -> bool:
    try:
        used = serialization.load_pem_public_key(pem)
    except ValueError:
        return False
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return used.public_bytes(*fmt) == public.public_bytes(*fmt)


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, {"c": CAP_NS})
    return None if found is None else found.text


def _parameter(info: Any, name: str) -> str | None:
    for parameter in info.iterfind("c:parameter", {"c": CAP_NS}):
        if _text(parameter, "c:valueName") == name:
            return _text(parameter, "c:value")
    return None


def _read(signed: Any) -> Verified:
    ns = {"c": CAP_NS}
    infos = list(signed.iterfind("c:info", ns))
    sms = next((v for i in infos if (v := _parameter(i, SMS_PARAMETER)) is not None), None)
    header = next(
        (v for i in infos if (v := _parameter(i, SMS_HEADER_PARAMETER)) is not None), None
    )
    return Verified(
        identifier=_text(signed, "c:identifier") or "",
        sent=_text(signed, "c:sent") or "",
        expires=_text(infos[0], "c:expires") if infos else None,
        headlines={_text(i, "c:language") or "": _text(i, "c:headline") or "" for i in infos},
        sms=sms,
        sms_header=header,
        areas=tuple(_text(a, "c:areaDesc") or "" for a in infos[0].iterfind("c:area", ns))
        if infos
        else (),
    )


def verify(document: bytes, public: ec.EllipticCurvePublicKey) -> Verified | None:
    """What ``document`` says if its signature is valid and made with ``public``; None if
    anything is wrong (a changed byte, another key, another algorithm, not XML at all)."""
    try:
        result = XMLVerifier().verify(document, parser=_PARSER, expect_config=_VERIFY)
    except (InvalidSignature, BadSignature, InvalidInput, etree.Error, ValueError, LookupError):
        # Whatever the reason (a changed byte lands anywhere), the answer is the same: no.
        return None
    if isinstance(result, list) or result.signed_xml is None:
        return None
    # The KeyValue in the document is whatever the signer put there: trust only our own key,
    # and only as we write it (KeyInfo is outside what is signed, and signxml reads an EC point
    # leniently, so a changed byte there could otherwise pass).
    written = result.signature_xml.findtext(".//{*}ECKeyValue/{*}PublicKey")
    if written != _point(public) or not _same_key(result.signature_key, public):
        return None
    return _read(result.signed_xml)
