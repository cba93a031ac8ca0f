"""The demo's public alerts: a made-up principal entity with two sender headers, police
templates in English and Telugu (rain, traffic, cyber fraud, and the two locked templates: the
one-time password and the SOS notice to a citizen's contacts), an allow-list of helpline
numbers and one link prefix, and one alert drafted by a station house officer and approved by
the district chief, queued in the outbox.

Everything is visibly a demo: the PE and template IDs begin 1999, the headers begin DEMO, and
the link goes to the reserved ``.example`` domain.
"""

from __future__ import annotations

import random

from kotwal.alerts import audiences, registry, service
from kotwal.alerts.schemas import (
    AlertDraftIn,
    AllowedIn,
    AllowedKind,
    CapCategory,
    CapCertainty,
    CapIn,
    CapInfoIn,
    CapSeverity,
    CapUrgency,
    Category,
    EntityIn,
    HeaderIn,
    RegistryFile,
    SubscriberIn,
    TemplateIn,
)
from kotwal.alerts.scrub import VariableType
from kotwal.core.clock import station_today
from kotwal.core.jurisdictions import by_code
from kotwal.core.policy import Actor, Role
from kotwal.core.uow import UnitOfWork
from kotwal.manifest import DemoContext

PE_ID = "1999000000000000001"
POLICE, TRAFFIC = "DEMOPL", "DEMOTR"
T, D, P, U, N = (
    VariableType.TEXT,
    VariableType.DATE,
    VariableType.PHONE,
    VariableType.URL,
    VariableType.NUMBER,
)
#: Helplines every Telangana citizen knows: police, emergency, cyber crime, women, children.
HELPLINES = ("100", "112", "1930", "181", "1098")
LINKS = "https://tgp.example/"

RAIN_EN = (
    "Dear Citizen, heavy rain is forecast in {#var#} on {#var#}. Avoid low-lying areas and "
    "underpasses. In an emergency call {#var#}. -Telangana Police"
)
RAIN_TE = (
    "ప్రియమైన పౌరులారా, {#var#} ప్రాంతంలో {#var#} న భారీ వర్షం కురిసే అవకాశం ఉంది. లోతట్టు "
    "ప్రాంతాలకు వెళ్లవద్దు. అత్యవసరమైతే {#var#} కు కాల్ చేయండి. -తెలంగాణ పోలీస్"
)
TRAFFIC_EN = (
    "Traffic advisory: {#var#} will be closed on {#var#} for {#var#}. Please use alternate "
    "routes. Details: {#var#} -Traffic Police"
)
FRAUD_EN = (
    "Beware: fraudsters posing as {#var#} are asking for money. Police never ask for payment "
    "by phone. Report cyber fraud on {#var#}. -Telangana Police"
)
FRAUD_TE = (
    "జాగ్రత్త: {#var#} పేరుతో మోసగాళ్లు డబ్బు అడుగుతున్నారు. పోలీసులు ఫోన్‌లో డబ్బు అడగరు. "
    "సైబర్ మోసాన్ని {#var#} కు ఫిర్యాదు చేయండి. -తెలంగాణ పోలీస్"
)
OTP_EN = (
    "{#var#} is your OTP to log in to Telangana Police citizen services. It is valid for 10 "
    "minutes. Do not share it with anyone. -Telangana Police"
)
SOS_EN = (
    "SOS: {#var#} has asked the police for help in the {#var#} police station area at {#var#}. "
    "The police have been alerted. In an emergency dial 112. -Telangana Police"
)

# A table of data, aligned by hand: it reads better in rows than one item a line.
TEMPLATES: list[tuple[str, str, str, Category, str, list[VariableType], int, bool]] = [
    ("1999000000000000101", POLICE, "Heavy rain warning (English)", Category.SERVICE_IMPLICIT,
     RAIN_EN, [T, D, P], 20, False),
    ("1999000000000000102", POLICE, "Heavy rain warning (Telugu)", Category.SERVICE_IMPLICIT,
     RAIN_TE, [T, D, P], 20, False),
    ("1999000000000000103", TRAFFIC, "Road closure (English)", Category.SERVICE_IMPLICIT,
     TRAFFIC_EN, [T, D, T, U], 20, False),
    ("1999000000000000104", POLICE, "Cyber fraud warning (English)", Category.SERVICE_EXPLICIT,
     FRAUD_EN, [T, P], 5, False),
    ("1999000000000000105", POLICE, "Cyber fraud warning (Telugu)", Category.SERVICE_EXPLICIT,
     FRAUD_TE, [T, P], 5, False),
    ("1999000000000000199", POLICE, "Citizen login OTP", Category.SERVICE_IMPLICIT, OTP_EN, [N],
     20000, True),
    ("1999000000000000198", POLICE, "Citizen SOS notice to a contact", Category.TRANSACTIONAL,
     SOS_EN, [T, T, T], 20000, True),
]  # fmt: skip


def demo_registry() -> RegistryFile:
    """The demo's registry, as a DLT mirror file would carry it."""
    return RegistryFile(
        entity=EntityIn(pe_id=PE_ID, name="Telangana State Police (demo)"),
        headers=[HeaderIn(pe_id=PE_ID, header=h) for h in (POLICE, TRAFFIC)],
        templates=[
            TemplateIn(
                dlt_template_id=tid,
                header=header,
                name=name,
                category=category,
                text=text,
                variables=variables,
                daily_cap=cap,
                locked=locked,
            )
            for tid, header, name, category, text, variables, cap, locked in TEMPLATES
        ],
        allowed=[AllowedIn(pe_id=PE_ID, kind=AllowedKind.PHONE, value=n) for n in HELPLINES]
        + [AllowedIn(pe_id=PE_ID, kind=AllowedKind.URL, value=LINKS)],
    )


#: What the demo alert's CAP document says, in English and Telugu; Ward 33 (Moghalpura) is
#: drawn with its OpenStreetMap polygon.
DEMO_CAP = CapIn(
    category=CapCategory.MET,
    urgency=CapUrgency.EXPECTED,
    severity=CapSeverity.SEVERE,
    certainty=CapCertainty.LIKELY,
    hours=24,
    wards=["33"],
    info=[
        CapInfoIn(
            language="en-IN",
            event="Heavy rain",
            headline="Heavy rain in Charminar and Moghalpura today",
            description="Heavy rain is forecast. Low-lying roads and underpasses may flood.",
            instruction="Avoid low-lying areas and underpasses. In an emergency call 100.",
        ),
        CapInfoIn(
            language="te-IN",
            event="భారీ వర్షం",
            headline="చార్మినార్, మొఘల్‌పురాలో ఈ రోజు భారీ వర్షం",
            description="భారీ వర్షం కురిసే అవకాశం ఉంది. లోతట్టు రహదారులు, అండర్‌పాస్‌లు నీట మునగవచ్చు.",
            instruction="లోతట్టు ప్రాంతాలకు, అండర్‌పాస్‌లకు దూరంగా ఉండండి. అత్యవసరమైతే 100కు కాల్ చేయండి.",
        ),
    ],
)


def _officer(name: str, role: Role, path: str) -> Actor:
    """A seeding actor with one role over one subtree (the two officers of the demo alert)."""
    return Actor(
        account_id=None,
        username=f"cli:demo-seed-{name}",
        roles=frozenset({role}),
        jurisdiction_paths=(path,),
    )


def seed(ctx: DemoContext) -> None:
    """Register the demo's DLT mirror, then draft and approve one rain warning for the first
    station, as its station house officer and the district chief would."""
    step = ctx.step("registering alert templates and one approved alert", None)
    with UnitOfWork(ctx.runtime, write=True) as uow:
        registry.import_registry(uow, ctx.seeder, demo_registry())
        station = by_code(uow, "HYD-PS-01")
        district = by_code(uow, "HYD-D")
        template = registry.template_by_dlt_id(uow, TEMPLATES[0][0])
        if station is None or district is None or template is None:
            raise RuntimeError("build the demo tree first (kotwal.demo.build_tree)")
        sho = _officer("sho", Role.STATION_HOUSE_OFFICER, station.path)
        dcp = _officer("dcp", Role.DISTRICT_CHIEF, district.path)
        day = station_today(ctx.runtime).strftime("%d-%m-%Y")
        text = (
            RAIN_EN.replace("{#var#}", "Charminar and Moghalpura", 1)
            .replace("{#var#}", day, 1)
            .replace("{#var#}", "100", 1)
        )
        audiences.subscribe(uow, ctx.seeder, demo_subscribers(ctx.seed))
        data = AlertDraftIn(template_id=template.id, text=text, areas=[station.id], cap=DEMO_CAP)
        draft = service.draft_alert(uow, sho, data)
        service.approve_alert(uow, dcp, draft["id"])
    with UnitOfWork(ctx.runtime, write=True) as uow:
        # What a worker does within a second of the approval: find the alert's subscribers.
        audiences.expand_alert(uow, draft["id"])
    step(1, None)


#: Made-up subscribers: (how many, their areas, their wards, their categories).
DEMO_AUDIENCE = [
    (120, ["HYD-PS-01"], [], [CapCategory.MET, CapCategory.SAFETY]),
    (40, ["HYD-D"], [], [CapCategory.MET]),
    (30, [], ["33"], [CapCategory.MET, CapCategory.TRANSPORT]),
    (60, ["HYD-PS-02"], [], [CapCategory.SAFETY]),
    (25, ["HYD-PS-01"], [], [CapCategory.TRANSPORT]),
]


def demo_subscribers(seed: int) -> list[SubscriberIn]:
    """The demo's opt-in list: made-up numbers (never sent to: the demo sets no SMSC link)."""
    rng = random.Random(seed + 1909)  # noqa: S311  # nosec B311 - reproducible fake data
    found = []
    for count, areas, wards, categories in DEMO_AUDIENCE:
        for _ in range(count):
            number = f"{rng.choice('6789')}{rng.randrange(10**9):09d}"
            found.append(
                SubscriberIn(
                    number=number,
                    categories=categories,
                    areas=areas,
                    wards=wards,
                    source="demo opt-in",
                )
            )
    return found
