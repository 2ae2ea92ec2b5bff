"""The design comparison report: files, CSV columns, figures, refusal to overwrite."""

import csv

import pytest

from positrix.errors import PositrixError
from positrix.reports.design import IQ_COLUMNS, SUMMARY_COLUMNS, write_design_report


def _stage(scale):
    return {
        "sensitivity": {"z_mm": [-5.0, 0.0, 5.0], "simulated_percent": [1.0, 2.0 * scale, 1.0],
                        "analytic_percent": [1.1, 2.1, 1.1], "peak_percent": 2.0 * scale},
        "resolution": {"points": [
            {"offset_mm": o, "radial_mm": 1.5 + o / 20, "tangential_mm": 1.5, "axial_mm": 2.0}
            for o in (0.0, 5.0, 10.0)]},
        "count_rates": {p: {"scatter_fraction": 0.05, "peak_necr_kcps": 100.0 * scale,
                            "peak_necr_activity_MBq": 30.0, "activity_MBq": [1.0, 10.0, 100.0],
                            "necr_kcps": [5.0, 40.0, 20.0]} for p in ("mouse", "rat")},
        "image_quality": {"measured": False, "reason": "too short"},
    }  # fmt: skip


def _iq(rc5):
    rods = ("1", "2", "3", "4", "5")
    return {"measured": True, "uniformity_pct_std": 4.5, "uniform_mean_ratio": 0.98,
            "rc": dict(zip(rods, (0.1, 0.4, 0.7, 0.9, rc5), strict=True)),
            "rc_pct_std": dict.fromkeys(rods, 10.0), "sor": {"water": 0.12, "air": 0.1},
            "sor_pct_std": {"water": 5.0, "air": 5.0}, "activity_MBq": 3.7, "duration_s": 1200.0,
            "prompts": 1e8, "reconstruction": "OSEM 2i8s span 21", "voxel_mm": 1.5,
            "rods_slice": [[0.0, 1.0], [1.0, 0.0]],
            "inserts_slice": [[1.0, 1.0], [1.0, 0.0]]}  # fmt: skip


def test_report_files_and_summary(tmp_path):
    results = {"a": _stage(1.0), "b": _stage(1.5) | {"image_quality": _iq(0.97)}}
    files = write_design_report(results, tmp_path)
    assert [f.name for f in files] == ["designs.csv", "sensitivity.png", "resolution.png",
                                       "necr.png", "recovery.png", "iq_slices.png",
                                       "designs.html", "designs.pdf"]  # fmt: skip
    rows = list(csv.DictReader((tmp_path / "designs.csv").open()))
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    assert [r["peak_sensitivity_percent"] for r in rows] == ["2.00", "3.00"]
    assert rows[1]["radial_fwhm_5mm_mm"] == "1.75"
    # IQ columns: empty for the design that could not hold the phantom, figures for the other
    assert all(rows[0][c] == "" for c in IQ_COLUMNS)
    assert rows[1]["iq_rc_5mm"] == "0.970" and rows[1]["iq_sor_air"] == "0.100"
    assert (tmp_path / "designs.pdf").read_bytes()[:4] == b"%PDF"
    page = (tmp_path / "designs.html").read_text()
    assert page.count("data:image/png;base64") == 5
    assert "a: image quality not measured — too short" in page
    assert "b: 3.7 MBq F-18, 20 min, 1e+08 prompts, OSEM 2i8s span 21" in page
    with pytest.raises(PositrixError):
        write_design_report(results, tmp_path)  # nothing the user has is overwritten
