"""The security self-check an auditor would run (``kotwal security check``)."""

from kotwal.manifest import Commands, Manifest

MANIFEST = Manifest(
    name="guard",
    title="Security self-check",
    package="kotwal.guard",
    commands=(Commands("security", "kotwal.guard.cli:app", "The security self-check."),),
)
