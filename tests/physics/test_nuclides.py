import pytest

from positrix.errors import UnknownNuclideError
from positrix.physics.nuclides import get_nuclide, list_nuclides, normalise_nuclide_name

REQUIRED = (
    "F-18 C-11 N-13 O-15 Ga-68 Cu-64 Zr-89 Rb-82 I-124 Sc-44 Y-86 Tb-152 Ge-68 Na-22 "
    "Lu-177 Y-90 I-131 Ac-225 Sr-82 Mo-99 Tc-99m Fr-221 At-217 Bi-213 Po-213 Tl-209 Pb-209"
).split()


@pytest.mark.parametrize(
    ("name", "half_life_s"),
    # ENSDF (NuDat): Tc-99m 6.0072 h, Mo-99 65.924 h, Sr-82 25.35 d, Bi-213 45.59 min
    [("99mTc", 21625.92), ("Mo99", 237326.4), ("82Sr", 2190240.0), ("Bi-213", 2735.4)],
)
def test_generator_and_alpha_chain_nuclides(name, half_life_s):
    assert get_nuclide(name).half_life_s == half_life_s
    assert get_nuclide(name).beta_plus_fraction == 0.0


def test_metastable_names():
    assert normalise_nuclide_name("99mTc") == "Tc-99m" == normalise_nuclide_name("tc99m")


def test_every_required_nuclide_is_in_the_table_with_sources():
    names = {n.name for n in list_nuclides()}
    assert set(REQUIRED) <= names
    for nuclide in list_nuclides():
        assert nuclide.half_life_s > 0
        assert 0.0 <= nuclide.beta_plus_fraction <= 1.0
        assert set(nuclide.source) == {
            "half_life_s",
            "beta_plus_fraction",
            "mean_positron_energy_kev",
            "max_positron_energy_kev",
            "mean_positron_range_mm",
        }
        assert all(nuclide.source.values())


def test_published_values_enSDF():
    # ENSDF via ../shared/reference/nuclides.csv, exact copies
    f18 = get_nuclide("F-18")
    assert f18.half_life_s == 6586.2
    assert f18.beta_plus_fraction == 0.9673
    assert get_nuclide("Ga-68").half_life_s == pytest.approx(67.71 * 60, rel=1e-4)
    assert get_nuclide("Rb-82").half_life_s == 75.45  # ENSDF, not ICRP-107's 76.38
    assert get_nuclide("Sc-44").half_life_s == pytest.approx(4.042 * 3600, rel=1e-4)
    assert get_nuclide("Na-22").beta_plus_fraction == 0.9033
    assert get_nuclide("Ge-68").half_life_s == pytest.approx(270.93 * 86400, rel=1e-6)


def test_positron_energies_and_ranges_are_ordered():
    for nuclide in list_nuclides():
        if nuclide.beta_plus_fraction > 0 and nuclide.mean_positron_energy_kev is not None:
            assert nuclide.mean_positron_energy_kev < nuclide.max_positron_energy_kev
            assert nuclide.mean_positron_range_mm is not None
    # a more energetic positron travels further
    assert get_nuclide("F-18").mean_positron_range_mm < get_nuclide("Ga-68").mean_positron_range_mm
    assert get_nuclide("Ga-68").mean_positron_range_mm < get_nuclide("Rb-82").mean_positron_range_mm


@pytest.mark.parametrize(
    "spelling",
    ["F-18", "18F", "F18", "f-18", " 18-F ", "^18F", "^18^Fluorine", "18Fluorine", "Fluorine-18"],
)
def test_spellings(spelling):
    assert normalise_nuclide_name(spelling) == "F-18"
    assert get_nuclide(spelling).name == "F-18"


def test_unknown_nuclide_names_the_fix():
    with pytest.raises(UnknownNuclideError) as err:
        get_nuclide("Xx-999")
    assert "Xx-999" in str(err.value) and "F-18" in str(err.value)
