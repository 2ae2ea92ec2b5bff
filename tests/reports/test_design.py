"""The design comparison report: files, CSV columns, figures, refusal to overwrite."""

import csv

import pytest

from positrix.errors import PositrixError
from positrix.reports.design import SUMMARY_COLUMNS, write_design_report


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
    }  # fmt: skip


def test_report_files_and_summary(tmp_path):
    results = {"a": _stage(1.0), "b": _stage(1.5)}
    files = write_design_report(results, tmp_path)
    assert [f.name for f in files] == ["designs.csv", "sensitivity.png", "resolution.png",
                                       "necr.png", "designs.html", "designs.pdf"]  # fmt: skip
    rows = list(csv.DictReader((tmp_path / "designs.csv").open()))
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    assert [r["peak_sensitivity_percent"] for r in rows] == ["2.00", "3.00"]
    assert rows[1]["radial_fwhm_5mm_mm"] == "1.75"
    assert (tmp_path / "designs.pdf").read_bytes()[:4] == b"%PDF"
    assert "data:image/png;base64" in (tmp_path / "designs.html").read_text()
    with pytest.raises(PositrixError):
        write_design_report(results, tmp_path)  # nothing the user has is overwritten
