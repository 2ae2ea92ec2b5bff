import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image import Grid, Image, affine_from_spacing
from positrix.quant.biodist import gamma_counter_uptake, plot_groups, summarise
from positrix.quant.pvc import effective_fwhm, gaussian_blur, gtm_correct
from positrix.quant.response import (
    classify_response,
    compare_groups,
    percent_change_by_animal,
)
from positrix.quant.voi import VOI, sphere


@pytest.mark.parametrize(("before", "after", "extra", "category"), [
    (5.0, 3.0, {}, "PMR"),                       # −40 %, −2.0
    (2.0, 1.3, {}, "SMD"),                       # −35 % but only −0.7 units
    (5.0, 7.0, {}, "PMD"),                       # +40 %, +2.0
    (5.0, 5.5, {"tlg_after": 20.0}, "PMD"),      # TLG +100 %
    (5.0, 5.2, {"new_lesions": True}, "PMD"),
    (5.0, 1.5, {"reference_mean": 1.8}, "CMR"),  # at or below liver
    (5.0, 4.5, {}, "SMD"),
])  # fmt: skip
def test_percist(before, after, extra, category):
    baseline = {"suv_peak": before, "tlg": 10.0}
    followup = {"suv_peak": after, "tlg": extra.pop("tlg_after", 10.0), **extra}
    assert classify_response(baseline, followup, criteria="percist").category == category


@pytest.mark.parametrize(("before", "after", "cycles", "category"), [
    (10.0, 7.4, 2, "PMR"), (10.0, 8.0, 2, "SMD"), (10.0, 8.4, 1, "PMR"), (10.0, 12.6, 2, "PMD"),
    (10.0, 12.5, 2, "SMD"),
])  # fmt: skip
def test_eortc(before, after, cycles, category):
    result = classify_response({"suv_max": before}, {"suv_max": after, "cycles": cycles},
                               criteria="eortc")  # fmt: skip
    assert result.category == category
    assert result.change_pct == pytest.approx(100 * (after - before) / before)


def test_response_needs_the_metric():
    with pytest.raises(PositrixError, match="suv_peak"):
        classify_response({"suv_max": 3.0}, {"suv_max": 2.0})


def test_group_comparison_matches_scipy_by_hand():
    rows = []
    treated = {"t1": (10, 5.0), "t2": (12, 6.5), "t3": (11, 4.0)}
    control = {"c1": (10, 11.0), "c2": (9, 10.0), "c3": (11, 12.5)}
    for group, animals in (("treated", treated), ("control", control)):
        for animal, (day0, day7) in animals.items():
            rows += [
                {"animal": animal, "group": group, "timepoint": "d0", "uptake": day0},
                {"animal": animal, "group": group, "timepoint": "d7", "uptake": day7},
            ]
    changes = percent_change_by_animal(rows, value="uptake", baseline="d0")
    assert [r["change_pct"] for r in changes if r["animal"] == "t1"] == [0.0, -50.0]
    (_, d7) = compare_groups(changes, value="change_pct", treated="treated", control="control")
    assert d7.n_treated == 3 and d7.mean_treated == pytest.approx((-50 - 45.833333 - 63.636364) / 3)
    # Welch t by hand: (m1 − m2) / sqrt(s1²/n1 + s2²/n2)
    a = np.array([-50.0, 100 * (6.5 - 12) / 12, 100 * (4 - 11) / 11])
    b = np.array([10.0, 100 * (10 - 9) / 9, 100 * (12.5 - 11) / 11])
    t = (a.mean() - b.mean()) / np.sqrt(a.var(ddof=1) / 3 + b.var(ddof=1) / 3)
    assert d7.statistic == pytest.approx(t) and d7.p_value < 0.01
    with pytest.raises(PositrixError, match="no 'd0'"):
        percent_change_by_animal(rows[1:], value="uptake", baseline="d0")


def _gamma_rows():
    # F-18; the 1 % standard counts 10000 cpm at 12:00; a 0.2 g tumour counts 3000 cpm at
    # 12:00 → 3000 / (10000 / 0.01) · 100 = 0.3 %ID → 1.5 %ID/g.  A liver counted one
    # half-life later at 5000 cpm is 10000 cpm at 12:00 → 1 %ID, 1.0 g → 1 %ID/g.
    rows = [
        dict(animal="m1", group="A", timepoint="1h", organ="standard", weight_g="0",
             counts="10000", measured_at="2026-01-01T12:00:00", standard_fraction="0.01"),
        dict(animal="m1", group="A", timepoint="1h", organ="tumour", weight_g="0.2",
             counts="3000", measured_at="2026-01-01T12:00:00", standard_fraction=""),
        dict(animal="m1", group="A", timepoint="1h", organ="liver", weight_g="1.0",
             counts="5000", measured_at="2026-01-01T13:49:46.2", standard_fraction=""),
    ]  # fmt: skip
    return rows


def test_gamma_counter_uptake_by_hand():
    out = {r["organ"]: r for r in gamma_counter_uptake(_gamma_rows(), "F-18")}
    assert out["tumour"]["percent_id_per_g"] == pytest.approx(1.5)
    assert out["liver"]["percent_id"] == pytest.approx(1.0, rel=1e-6)
    assert "standard" not in out


def test_summary_and_chart(tmp_path):
    rows = [{"group": g, "organ": o, "v": v} for g, o, v in
            [("A", "liver", 1.0), ("A", "liver", 3.0), ("B", "liver", 2.0), ("B", "liver", 2.0),
             ("A", "tumour", 5.0), ("A", "tumour", 7.0)]]  # fmt: skip
    summary = summarise(rows, value="v", by=["group", "organ"])
    first = summary[0]
    assert (first["group"], first["organ"], first["mean"], first["n"]) == ("A", "liver", 2.0, 2)
    assert first["sd"] == pytest.approx(np.sqrt(2.0))
    assert plot_groups(summary, tmp_path / "b.png", category="organ", series=["group"],
                       ylabel="%ID/g").stat().st_size > 5000  # fmt: skip


def test_gtm_recovers_true_values_of_a_blurred_phantom():
    grid = Grid((48, 48, 48), affine_from_spacing([0.5] * 3, origin_mm=[-11.75] * 3))
    small = sphere(grid, (3.0, 0, 0), 2.0).mask() >= 0.5
    other = sphere(grid, (-4.0, 1.0, 0), 3.0).mask() >= 0.5
    background = sphere(grid, (0, 0, 0), 10.0).mask() >= 0.5
    background &= ~(small | other)
    truth = {"small": 10.0, "other": 4.0, "background": 1.0}
    data = 10.0 * small + 4.0 * other + 1.0 * background
    blurred = gaussian_blur(data, grid.voxel_size_mm, 1.6)
    image = Image(blurred, grid.affine, unit="Bq/mL")
    vois = [VOI.from_mask(n, grid, m) for n, m in
            (("small", small), ("other", other), ("background", background))]  # fmt: skip
    corrected = gtm_correct(image, vois, fwhm_mm=1.6)
    for name, value in truth.items():
        assert corrected[name] == pytest.approx(value, rel=1e-6)  # exact model → exact answer


def _blurred_phantom(fwhm_mm):
    grid = Grid((48, 48, 48), affine_from_spacing([0.5] * 3, origin_mm=[-11.75] * 3))
    small = sphere(grid, (3.0, 0, 0), 2.0).mask() >= 0.5
    background = (sphere(grid, (0, 0, 0), 10.0).mask() >= 0.5) & ~small
    blurred = gaussian_blur(8.0 * small + 1.0 * background, grid.voxel_size_mm, fwhm_mm)
    vois = [VOI.from_mask("small", grid, small), VOI.from_mask("background", grid, background)]
    return Image(blurred, grid.affine, unit="Bq/mL"), vois


@pytest.mark.parametrize("fwhm", [1.3, 2.2])
def test_effective_fwhm_finds_the_blur_of_a_known_phantom(fwhm):
    image, vois = _blurred_phantom(fwhm)
    found = effective_fwhm(image, vois, {"small": 8.0, "background": 1.0})
    assert found == pytest.approx(fwhm, abs=0.051)  # one 0.05 mm candidate step


def test_effective_fwhm_names_a_missing_region():
    image, vois = _blurred_phantom(1.5)
    with pytest.raises(PositrixError, match="striatum"):
        effective_fwhm(image, vois, {"striatum": 8.0})
