"""Public alerts: the SMS registry mirrored from DLT (principal entity, sender headers, content
templates, consent), the local scrub of every message against its template, and the two-officer
rule that stands between a draft and the outbox."""
