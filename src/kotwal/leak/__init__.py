"""Leak trace: which records, which copy and which accounts a leaked sample came from."""
