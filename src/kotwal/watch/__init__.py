"""Breach defences against bulk collection: disclosure budgets per actor, signals that raise an
actor's score, step-up re-authentication, suspension pending review, and the security officers'
alert queue."""
