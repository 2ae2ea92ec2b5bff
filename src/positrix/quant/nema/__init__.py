"""NEMA NU 4-2008 small-animal PET performance analyses.

* :mod:`~positrix.quant.nema.locate` — pose of the image-quality phantom, point sources;
* :mod:`~positrix.quant.nema.iq` — uniformity, recovery coefficients, spill-over ratios;
* :mod:`~positrix.quant.nema.resolution` — FWHM/FWTM of point sources;
* :mod:`~positrix.quant.nema.sensitivity` — sensitivity from a stepped point source.

Definitions: ``shared/reference/nema_nu4.md``; the choices where the standard leaves room
are documented in each module.
"""

from positrix.quant.nema.iq import IQResult, Uniformity, nema_iq
from positrix.quant.nema.locate import PhantomPose, find_point_sources, locate_iq_phantom
from positrix.quant.nema.resolution import (
    ResolutionResult,
    SourceResolution,
    fwhm_fwtm,
    point_source_resolution,
)
from positrix.quant.nema.sensitivity import (
    SensitivityResult,
    StepTable,
    nema_sensitivity,
    read_steps,
    sensitivity_from_counts,
)

__all__ = [
    "IQResult",
    "PhantomPose",
    "ResolutionResult",
    "SensitivityResult",
    "SourceResolution",
    "StepTable",
    "Uniformity",
    "find_point_sources",
    "fwhm_fwtm",
    "locate_iq_phantom",
    "nema_iq",
    "nema_sensitivity",
    "point_source_resolution",
    "read_steps",
    "sensitivity_from_counts",
]
