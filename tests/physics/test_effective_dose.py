"""ICRP 103 effective dose."""

from __future__ import annotations

import pytest

from positrix.errors import PositrixError
from positrix.physics.effective_dose import (
    TISSUE_WEIGHTS,
    effective_dose,
    equivalent_dose,
)


def test_weights_sum_to_one():
    assert sum(TISSUE_WEIGHTS.values()) == pytest.approx(1.0, abs=1e-12)


def test_uniform_whole_body_dose_gives_the_same_effective_dose():
    doses = {name: 2.0 for name in TISSUE_WEIGHTS if name != "remainder"}
    doses |= {"kidneys": 2.0, "spleen": 2.0, "pancreas": 2.0}
    result = effective_dose(doses)
    assert result.effective_sv == pytest.approx(2.0, rel=1e-12) and result.complete


def test_remainder_is_the_mean_and_aliases_map():
    result = effective_dose(
        {"Kidney": 3.0, "spleen": 1.0, "lung": 1.0, "testes": 1.0, "ovaries": 0.0, "tumour": 50.0}
    )
    assert result.contributions_sv["remainder"] == pytest.approx(0.12 * 2.0, rel=1e-12)
    assert result.contributions_sv["lungs"] == pytest.approx(0.12, rel=1e-12)
    assert result.contributions_sv["gonads"] == pytest.approx(0.08 * 0.5, rel=1e-12)
    assert result.ignored == ("tumour",) and not result.complete
    assert result.missing["red marrow"] == 0.12


def test_alpha_weight_is_twenty():
    assert equivalent_dose({"alpha": 0.1, "other": 0.5}) == pytest.approx(2.5, rel=1e-12)
    with pytest.raises(PositrixError, match="unknown radiation"):
        equivalent_dose({"neutron": 1.0})
