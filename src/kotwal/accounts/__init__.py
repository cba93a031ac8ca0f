"""Accounts, sessions, the jurisdiction tree and the audit log as officers, administrators and
auditors use them: the kernel's routes, pages and commands (the kernel itself has none)."""
