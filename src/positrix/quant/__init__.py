"""Layer 5: VOIs, region statistics, uptake units, TACs, tumour metrics, response,
biodistribution and partial-volume correction.  See ``docs/quant.md``."""

from positrix.quant.labels import LabelImage, load_labels, save_labels, transfer_voi
from positrix.quant.lesion import LesionMetrics, lesion_metrics
from positrix.quant.stats import RegionStats, default_peak_ml, region_stats
from positrix.quant.tac import TACs, extract_tacs, plot_tacs, write_tacs
from positrix.quant.units import convert_units
from positrix.quant.voi import VOI, box, cylinder, ellipsoid, sphere

__all__ = [
    "VOI",
    "LabelImage",
    "LesionMetrics",
    "RegionStats",
    "TACs",
    "box",
    "convert_units",
    "cylinder",
    "default_peak_ml",
    "ellipsoid",
    "extract_tacs",
    "lesion_metrics",
    "load_labels",
    "plot_tacs",
    "region_stats",
    "save_labels",
    "sphere",
    "transfer_voi",
    "write_tacs",
]
