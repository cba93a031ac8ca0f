"""kotwal: a police operations platform built around a security kernel (see
docs/architecture.md)."""

__version__ = "0.1.0"

# The role -> permission table is complete in every process that imports kotwal: each domain's
# grants come from its manifest (kotwal.domains), which imports only light modules.
from kotwal import domains as _domains

__all__ = ["__version__"]
del _domains
