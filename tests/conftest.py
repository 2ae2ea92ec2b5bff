"""Shared fixtures: a small, fully described PET image and external-tool lookup."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from positrix.image import FrameTable, Image, Injection, Subject
from positrix.physics import get_nuclide

T0 = datetime(2026, 5, 1, 9, 30, 0, tzinfo=UTC)


def external_tool(name: str) -> str:
    """Path of an external program; skip (locally) or fail (CI) when it is missing."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("POSITRIX_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def make_pet(
    *,
    shape: tuple[int, int, int] = (9, 7, 5),
    frames: str = "2x60s,1x120s",
    affine: np.ndarray | None = None,
    seed: int = 1,
) -> Image:
    """A dynamic F-18 PET image in Bq/mL with every piece of metadata set."""
    table = FrameTable.from_spec(frames, acquisition_start=T0)
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.0, 5000.0, (*shape, table.n_frames))
    if affine is None:
        affine = np.diag([-0.8, -0.9, 1.2, 1.0])
        affine[:3, 3] = [10.0, -4.0, 22.0]
    injection = Injection(
        nuclide=get_nuclide("F-18"),
        tracer="FDG",
        injection_time=T0 - timedelta(minutes=2),
        activity_before_bq=9.5e6,
        activity_before_time=T0 - timedelta(minutes=5),
        residual_bq=0.25e6,
        residual_time=T0 + timedelta(minutes=1),
    )
    subject = Subject(id="m07", species="Mus musculus", strain="BALB/c", sex="F", weight_g=24.6)
    return Image(
        data,
        affine,
        unit="Bq/mL",
        frames=table,
        decay_reference=T0,
        subject=subject,
        injection=injection,
        scanner="Inveon",
        reconstruction="OSEM3D",
        metadata={"PatientPosition": "HFP"},
    )


@pytest.fixture
def pet() -> Image:
    return make_pet()


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory):
    """The demo, run once per test session (≈ 1 min) over a stale earlier output with
    ``force=True``; returns ``(folder, result)``."""
    from positrix.pipeline.demo import run_demo

    folder = tmp_path_factory.mktemp("demo") / "demo-output"
    stale = folder / "dicom" / "pet" / "stale.dcm"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier run")
    result = run_demo(folder, force=True, log=lambda _: None)
    assert not stale.exists()  # --force replaced the demo's own earlier output
    return folder, result
