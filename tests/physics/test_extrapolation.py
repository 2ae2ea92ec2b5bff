"""Relative mass and allometric time scaling."""

from __future__ import annotations

import pytest

from positrix.errors import PositrixError
from positrix.physics.extrapolation import extrapolate_to_human, reference_organ_mass_g


def test_mass_and_time_scaling():
    times, percent = extrapolate_to_human(
        [3600.0, 7200.0],
        [10.0, 5.0],
        organ_mass_animal_g=0.3,
        body_mass_animal_g=25.0,
        organ_mass_human_g=310.0,
        body_mass_human_g=73000.0,
    )
    factor = (310.0 / 73000.0) / (0.3 / 25.0)
    assert percent.tolist() == pytest.approx([10.0 * factor, 5.0 * factor], rel=1e-12)
    assert times[0] == pytest.approx(3600.0 * (73000.0 / 25.0) ** 0.25, rel=1e-12)
    same, _ = extrapolate_to_human(
        [3600.0],
        [1.0],
        organ_mass_animal_g=1,
        body_mass_animal_g=25,
        organ_mass_human_g=1,
        body_mass_human_g=73000,
        time_scaling=False,
    )
    assert same[0] == 3600.0


def test_reference_masses_and_errors():
    assert reference_organ_mass_g("kidneys", sex="female") == 275.0  # ICRP 89 Table 2.8
    with pytest.raises(PositrixError, match="no ICRP 89 male reference mass"):
        reference_organ_mass_g("tumour")
    with pytest.raises(PositrixError, match="not all > 0"):
        extrapolate_to_human(
            [1.0],
            [1.0],
            organ_mass_animal_g=0,
            body_mass_animal_g=25,
            organ_mass_human_g=1,
            body_mass_human_g=1,
        )
