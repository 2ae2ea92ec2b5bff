"""Positrix: preclinical PET/CT from raw data to report.

The package is layered (see ``docs/design.md``): ``physics`` → ``image`` → ``io`` →
``cli``.  Importing :mod:`positrix` has no side effects and imports no heavy module.
"""

from positrix.errors import PositrixError

__all__ = ["PositrixError", "__version__"]
__version__ = "0.1.0"
