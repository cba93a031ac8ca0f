"""The stored form of encrypted fields: the :class:`Encrypted` column type and :class:`Sealed`.

Kept apart from :mod:`kotwal.core.crypto` so that table modules can declare encrypted columns
without importing the key machinery.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from kotwal.core.policy import DataClass


class PlaintextRefused(Exception):
    """Plaintext reached an encrypted column without a keyring on the session."""


class Sealed(bytes):
    """Ciphertext as stored. Its repr never shows content, so logs and templates stay clean."""

    def __repr__(self) -> str:
        return "<sealed>"

    __str__ = __repr__


class Encrypted(TypeDecorator[Any]):
    """A column holding a sealed value; declares the field's data class (CONFIDENTIAL/SECRET)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, data_class: DataClass) -> None:
        if data_class < DataClass.CONFIDENTIAL:
            raise ValueError("only CONFIDENTIAL and SECRET fields are encrypted")
        super().__init__()
        self.data_class = data_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return bytes(value)
        raise PlaintextRefused("plaintext reached an encrypted column unsealed")

    def process_result_value(self, value: Any, dialect: Dialect) -> Sealed | None:
        return None if value is None else Sealed(value)
