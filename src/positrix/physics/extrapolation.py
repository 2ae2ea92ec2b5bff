"""Animal → human extrapolation of biodistribution data.

Relative mass scaling (Kirschner et al., J Nucl Med 16 (1975) 248; Sparks & Aydogan,
Proc. 6th Int. Radiopharm. Dosim. Symp. (1999) 705):

    %IA_human = %IA_animal · (m_organ,human / m_body,human) / (m_organ,animal / m_body,animal)

Time scaling (allometric, same references): t_human = t_animal · (m_body,human /
m_body,animal)^(1/4).  Both act on the *biological* curve (decay-corrected to
injection); physical decay is applied afterwards on the human time axis.  Human organ
masses: ICRP Publication 89 (2002) reference adults (``positrix/data/
reference_organ_masses.csv``), or your own.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["extrapolate_to_human", "reference_organ_mass_g"]


@cache
def _masses() -> dict[str, dict[str, float]]:
    text = resources.files("positrix").joinpath("data/reference_organ_masses.csv")
    table: dict[str, dict[str, float]] = {}
    for row in csv.DictReader(text.read_text("utf-8").splitlines()):
        table[row["organ"]] = {
            sex: float(row[f"{sex}_g"]) for sex in ("male", "female") if row[f"{sex}_g"]
        }
    return table


def reference_organ_mass_g(organ: str, *, sex: str = "male") -> float:
    """ICRP 89 reference adult organ mass in g (``organ`` as in the table, e.g. ``liver``).

    Examples
    --------
    >>> reference_organ_mass_g("liver"), reference_organ_mass_g("total body", sex="female")
    (1800.0, 60000.0)
    """
    if sex not in ("male", "female"):
        raise PositrixError(f"sex '{sex}'", field="--sex", fix="male or female")
    key = " ".join(organ.strip().lower().split())
    try:
        return _masses()[key][sex]
    except KeyError:
        raise PositrixError(
            f"no ICRP 89 {sex} reference mass for '{organ}'", field="organ",
            fix="organs known: " + ", ".join(o for o, m in _masses().items() if sex in m)
            + " (or give --human-mass)",
        ) from None  # fmt: skip


def extrapolate_to_human(
    times_s: ArrayLike,
    percent_ia: ArrayLike,
    *,
    organ_mass_animal_g: float,
    body_mass_animal_g: float,
    organ_mass_human_g: float,
    body_mass_human_g: float,
    time_scaling: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Human times (s) and %IA (decay-corrected) from an animal organ's decay-corrected %IA.

    Examples
    --------
    >>> t, p = extrapolate_to_human([3600.0], [10.0], organ_mass_animal_g=1.0,
    ...     body_mass_animal_g=25.0, organ_mass_human_g=1800.0, body_mass_human_g=73000.0)
    >>> round(float(p[0]), 4), round(float(t[0]) / 3600.0, 3)  # 10·(1800/73000)·25; (2920)^¼
    (6.1644, 7.351)
    """
    masses = (organ_mass_animal_g, body_mass_animal_g, organ_mass_human_g, body_mass_human_g)
    if not all(math.isfinite(m) and m > 0 for m in masses):
        raise PositrixError(
            f"masses {masses} g are not all > 0",
            field="mass",
            fix="give organ and body masses in g for animal and human",
        )
    factor = (organ_mass_human_g / body_mass_human_g) / (organ_mass_animal_g / body_mass_animal_g)
    stretch = (body_mass_human_g / body_mass_animal_g) ** 0.25 if time_scaling else 1.0
    times = np.asarray(times_s, dtype=np.float64) * stretch
    return times, np.asarray(percent_ia, dtype=np.float64) * factor
