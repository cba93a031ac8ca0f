"""kotwal: a police operations platform built around a security kernel (see DESIGN.md)."""

__version__ = "0.1.0"
