"""Imports every module that defines tables, so ``Base.metadata`` is complete (for Alembic
and for tests that compare the migrated schema with the models)."""

from kotwal.arms import models as arms_models
from kotwal.core import models as core_models
from kotwal.core import policy as core_policy
from kotwal.core.db import Base
from kotwal.decoys import models as decoys_models
from kotwal.force import models as force_models
from kotwal.frs import models as frs_models
from kotwal.photos import models as photos_models
from kotwal.records import models as records_models
from kotwal.watch import models as watch_models

metadata = Base.metadata

__all__ = [
    "arms_models",
    "core_models",
    "core_policy",
    "decoys_models",
    "force_models",
    "frs_models",
    "metadata",
    "photos_models",
    "records_models",
    "watch_models",
]
