"""Method evaluation on simulated phantoms with known truth."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.quant.method_evaluation import evaluate_methods
from tests.scanners import mini_scanner

SCANNER = mini_scanner(8)


@pytest.fixture(scope="module")
def result():
    return evaluate_methods(["osem", "map-rdp", "gaussian"], phantoms=["nema-iq"],
                            replicates=2, scanner=SCANNER, iterations=4,
                            activity_mbq=5.0)  # fmt: skip


def test_osem_trades_noise_for_recovery_over_iterations(result):
    (osem,) = [c for c in result.curves if c["method"] == "osem"]
    assert osem["reference"] == "uniform" and osem["iteration"] == [1, 2, 3, 4]
    # each OSEM iteration recovers more of the rods and adds noise
    assert np.all(np.diff(osem["mean_recovery"]) > 0)
    assert np.all(np.diff(osem["noise_percent"]) > 0)
    assert 0.2 < osem["mean_recovery"][-1] < 1.05


def test_the_uniform_region_converges_to_its_truth(result):
    rows = [r for r in result.rows if r["region"] == "uniform" and r["method"] == "osem"]
    bias = [r["bias_percent"] for r in rows]
    assert abs(bias[-1]) < abs(bias[0])  # EM approaches the true mean
    assert abs(bias[-1]) < 12.0  # 4 iterations of 8 subsets, edges of a short scanner
    cold = [r for r in result.rows if r["region"] == "cold_water" and r["iteration"] == 4]
    assert all(0 <= r["recovery"] < 0.5 for r in cold)  # spill-over into the cold insert


def test_unknown_phantoms_and_methods_are_refused():
    with pytest.raises(PositrixError, match="phantom"):
        evaluate_methods(["osem"], phantoms=["monkey"], scanner=SCANNER)
    with pytest.raises(PositrixError, match="no reconstruction method"):
        evaluate_methods(["nope"], phantoms=["derenzo"], scanner=SCANNER)


def test_a_post_filter_trades_recovery_for_noise_over_its_width(result):
    (osem,) = [c for c in result.curves if c["method"] == "osem"]
    (gauss,) = [c for c in result.curves if c["method"] == "gaussian"]
    assert gauss["parameter"] == "fwhm_mm" and gauss["parameter_value"] == [0, 1, 2, 3, 4, 5]
    assert osem["parameter"] == "iterations" and osem["parameter_value"] == [1, 2, 3, 4]
    # FWHM 0 is OSEM's last iteration itself (the post-filter processes that image)
    assert gauss["noise_percent"][0] == pytest.approx(osem["noise_percent"][-1], rel=1e-9)
    assert gauss["mean_recovery"][0] == pytest.approx(osem["mean_recovery"][-1], rel=1e-9)
    # a wider filter averages more voxels: less noise and less recovery of the rods
    assert np.all(np.diff(gauss["noise_percent"]) < 0)
    assert np.all(np.diff(gauss["mean_recovery"]) < 0)
    rows = [r for r in result.rows if r["method"] == "gaussian" and r["region"] == "uniform"]
    assert [r["parameter_value"] for r in rows] == [0, 1, 2, 3, 4, 5]
