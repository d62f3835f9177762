"""Dataset loaders: package data, shipped files, synthetic generators and user CSVs.

Every loader returns a :class:`bench.types.Dataset` whose series has passed the shared checks in
:mod:`bench.data.validate`; the Hydra configs under ``conf/datasets/`` call them by ``_target_``.
"""

from bench.data.errors import DataError

__all__ = ["DataError"]
