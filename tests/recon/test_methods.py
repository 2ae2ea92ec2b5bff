"""Reconstruction methods as plugins: built-ins, the shipped example plugin through an
entry point, and plugins that are refused with their entry point named."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon import methods
from positrix.recon.reconstruct import SystemModel

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "recon_plugin" / "positrix_sirt.py"
MINI = ScannerGeometry(
    name="mini",
    blocks_per_ring=8,
    crystals_per_block=8,
    n_rings=4,
    transaxial_pitch_mm=2.5,
    axial_pitch_mm=2.5,
    crystal_size_mm=(2.4, 2.4, 10.0),
    ring_diameter_mm=60.0,
    mean_doi_mm=4.0,
)


def _example_method(path=EXAMPLE):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.METHOD


def _entry(name, load):
    return SimpleNamespace(name=name, value=f"{name}_module:METHOD", load=load)


@pytest.fixture
def plugins(monkeypatch):
    """Pretend these entry points are installed."""
    installed = []
    original = methods.metadata.entry_points

    def entry_points(**selection):
        if selection.get("group") == methods.ENTRY_POINT_GROUP:
            return installed
        return original(**selection)  # other users (numba) see the real ones

    monkeypatch.setattr(methods.metadata, "entry_points", entry_points)
    return installed


def test_builtins_and_the_example_plugin(plugins):
    assert {"osem", "mlem", "map-rdp"} <= set(methods.available_methods())
    plugins.append(_entry("sirt", _example_method))
    found = methods.get_method("sirt")
    assert found.source == "sirt = sirt_module:METHOD"
    with pytest.raises(PositrixError, match="no reconstruction method 'art'"):
        methods.get_method("art")


def test_example_plugin_reconstructs_like_osem(plugins):
    layout = SinogramLayout(MINI, span=1)
    shape, voxel = (24, 24, 7), (1.5, 1.5, 1.25)
    model = SystemModel(layout, shape, voxel)
    truth = np.zeros(shape, np.float32)
    x, y = np.meshgrid(*[(np.arange(n) - (n - 1) / 2) * 1.5 for n in shape[:2]], indexing="ij")
    truth[(x**2 + y**2) <= 10.0**2] = 1.0
    truth[((x - 4) ** 2 + y**2) <= 3.0**2] = 4.0  # a hot rod
    prompts = (
        np.random.default_rng(0)
        .poisson(model.operators(1)[0].apply(truth) * 50.0)
        .astype(np.float32)
    )
    sirt = _example_method().run(model, prompts, iterations=30)
    osem = methods.get_method("osem").run(model, prompts, iterations=4)
    inside = truth > 0
    for image in (sirt, osem):
        r = np.corrcoef(image[inside], truth[inside])[0, 1]
        assert r >= 0.8  # both see the hot rod in the cylinder
    ratio = sirt[inside].mean() / osem[inside].mean()
    assert ratio == pytest.approx(1.0, rel=0.10)  # same units: counts per mm


def test_bad_plugins_are_refused(plugins):
    def broken():
        raise ImportError("no module named positrix_broken")

    plugins.append(_entry("broken", broken))
    with pytest.raises(PositrixError, match=r"broken = broken_module:METHOD.*failed to load"):
        methods.available_methods()
    plugins.clear()
    plugins.append(_entry("thing", lambda: 42))
    with pytest.raises(PositrixError, match="not a ReconMethod"):
        methods.available_methods()
    plugins.clear()
    plugins.append(_entry("osem2", lambda: methods.ReconMethod("osem", "again", print)))
    with pytest.raises(PositrixError, match="built-in name 'osem'"):
        methods.available_methods()
    plugins.clear()
    plugins.append(_entry("smooth", lambda: methods.PostProcessMethod("smooth", "x", print, (),
                                                                      "width")))  # fmt: skip
    with pytest.raises(PositrixError, match=r"needs parameter values.*0 value\(s\)"):
        methods.available_methods()
    plugins.clear()
    plugins.append(_entry("smooth", lambda: methods.PostProcessMethod(
        "smooth", "x", print, (1.0,), "width", base="gaussian")))  # fmt: skip
    with pytest.raises(PositrixError, match="base 'gaussian'"):
        methods.available_methods()


def test_example_post_processing_plugin(plugins):
    median = EXAMPLE.with_name("positrix_median.py")
    plugins.append(_entry("median", lambda: _example_method(median)))
    found = methods.get_method("median")
    assert isinstance(found, methods.PostProcessMethod) and found.base == "osem"
    assert found.source == "median = median_module:METHOD"
    image = np.random.default_rng(1).normal(10.0, 1.0, (16, 16, 8)).astype(np.float32)
    before = image.copy()
    assert np.array_equal(found.run(image, (1.0, 1.0, 1.0), 1.0), image)  # width 1: as is
    smooth = found.run(image, (1.0, 1.0, 1.0), 3.0)
    assert np.array_equal(image, before)  # the input is not modified
    # the median of 27 Gaussian samples has ≈ 0.24 of their SD (√(π/2)/√27)
    assert smooth[2:-2, 2:-2, 2:-2].std() < 0.4 * image.std()
    assert smooth.mean() == pytest.approx(10.0, abs=0.05)
