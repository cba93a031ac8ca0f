"""Breach defences: the security self-check today; disclosure budgets, decoys and leak
tracing are to come (issue 4)."""
