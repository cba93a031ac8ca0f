"""CAP 1.2 documents of public alerts: how many are generated, validated and signed per second,
and how many the public verification page can verify per second.

Each document is what an approval publishes (``kotwal.alerts.cap.issue``): two info blocks
(English and Telugu) with the SMS, one station area as a geocode and a GHMC ward as its
OpenStreetMap polygons; built with lxml, validated against the OASIS schema, signed (enveloped
XML Signature, ECDSA-SHA256, exclusive canonicalisation) and validated again. Verification
(``cap.verify``) is what the public page and the feed do for every document they show. One
process, one core; the key is generated in memory for the run.

    .venv/bin/python bench/alerts_cap.py [--documents 2000]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import uuid
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec

from kotwal.alerts import cap
from kotwal.alerts.demo import RAIN_EN

SENT = datetime.fromisoformat("2026-08-14T06:00:00+05:30")


def document(number: int) -> cap.CapAlert:
    """The ``number``-th alert of the run: a rain warning for one station and one ward."""
    ward = cap.find_ward("33")  # Ward 33 Moghalpura
    assert ward is not None
    sms = RAIN_EN.replace("{#var#}", f"Moghalpura {number}", 1).replace("{#var#}", "14-08-2026", 1)
    sms = sms.replace("{#var#}", "100", 1)
    words = {"category": "Met", "urgency": "Expected", "severity": "Severe", "certainty": "Likely"}
    return cap.CapAlert(
        identifier=str(uuid.uuid4()),
        sender="alerts@tgp.example",
        sender_name="Telangana State Police (demo)",
        sent=SENT,
        expires=SENT + timedelta(hours=12),
        status="Exercise",
        info=(
            cap.Info(
                "en-IN",
                event="Heavy rain",
                headline="Heavy rain in Moghalpura",
                description="Heavy rain is forecast.",
                instruction="Stay indoors.",
                sms=sms,
                sms_header="DEMOPL",
                **words,
            ),
            cap.Info(
                "te-IN",
                event="భారీ వర్షం",
                headline="మొఘల్‌పురాలో భారీ వర్షం",
                description="భారీ వర్షం కురిసే అవకాశం ఉంది.",
                instruction="ఇంట్లోనే ఉండండి.",
                **words,
            ),
        ),
        areas=(
            cap.Area("PS Moghalpura", geocodes=(("kotwal-station", "HYD-PS-01"),)),
            cap.Area(ward.name, ward.polygons, ((cap.WARD_GEOCODE, ward.code),)),
        ),
    )


def main() -> None:
    """Issue ``--documents`` documents, then verify them, and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000)
    args = parser.parse_args()
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    alerts = [document(n) for n in range(args.documents)]
    cap.schema()  # parsed once per process, as a server does at its first approval
    started = time.perf_counter()
    signed = [cap.issue(alert, key) for alert in alerts]
    issued = time.perf_counter() - started
    started = time.perf_counter()
    verified = sum(cap.verify(body, public) is not None for body in signed)
    checking = time.perf_counter() - started
    assert verified == len(signed), "a document kotwal signed did not verify"
    figures = {
        "documents": len(signed),
        "cap_issued_per_second": round(len(signed) / issued, 1),
        "cap_issue_ms": round(issued / len(signed) * 1000, 3),
        "cap_verified_per_second": round(len(signed) / checking, 1),
        "document_bytes": round(sum(map(len, signed)) / len(signed)),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(
        f"{figures['cap_issued_per_second']:,} CAP documents built, validated and signed per "
        f"second; {figures['cap_verified_per_second']:,} verified per second; "
        f"{figures['document_bytes']:,} bytes each"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
