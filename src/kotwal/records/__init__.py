"""Records: offenders and other persons of police interest (the first protected domain)."""
