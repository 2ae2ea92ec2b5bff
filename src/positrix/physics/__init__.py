"""Layer 1: nuclides, radioactive decay, units and injected activity.

Nothing here imports another Positrix layer.
"""

from positrix.physics.decay import (
    activity_at,
    decay_constant,
    decay_factor,
    frame_decay_correction,
)
from positrix.physics.injection import Injection, net_injected_activity
from positrix.physics.nuclides import Nuclide, get_nuclide, list_nuclides
from positrix.physics.units import parse_activity, parse_time_point

__all__ = [
    "Injection",
    "Nuclide",
    "activity_at",
    "decay_constant",
    "decay_factor",
    "frame_decay_correction",
    "get_nuclide",
    "list_nuclides",
    "net_injected_activity",
    "parse_activity",
    "parse_time_point",
]
