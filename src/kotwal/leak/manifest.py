"""Leak tracing: which records, which copy and which accounts a leaked sample came from."""

from kotwal.manifest import Commands, Manifest

MANIFEST = Manifest(
    name="leak",
    title="Leak tracing",
    package="kotwal.leak",
    commands=(
        Commands("leak", "kotwal.leak.cli:app", "Trace a leaked sample to its copy and accounts."),
    ),
    requires=("decoys",),
)
