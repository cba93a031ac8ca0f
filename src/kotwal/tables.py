"""Imports every module that defines tables (the kernel's and each domain's, as their manifests
list them), so ``Base.metadata`` is complete for Alembic and for tests that compare the
migrated schema with the models."""

import importlib

from kotwal import domains
from kotwal.core.db import Base

for _module in domains.model_modules():
    importlib.import_module(_module)

metadata = Base.metadata

__all__ = ["metadata"]
