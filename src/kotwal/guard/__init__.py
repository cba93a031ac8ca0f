"""Breach defences: the security self-check (``kotwal security check``), which checks a
deployment's configuration, keys, accounts, audit log, decoys, routes and dependencies. The other
defences live beside it: disclosure budgets and the alert queue in :mod:`kotwal.watch`, decoys
in :mod:`kotwal.decoys`, leak tracing in :mod:`kotwal.leak`."""
