"""Imports every module that defines tables, so ``Base.metadata`` is complete (for Alembic
and for tests that compare the migrated schema with the models)."""

from kotwal.core import models as core_models
from kotwal.core import policy as core_policy
from kotwal.core.db import Base
from kotwal.records import models as records_models

metadata = Base.metadata

__all__ = ["core_models", "core_policy", "metadata", "records_models"]
