"""Digital mouse and rat brains: analytic structures in a head, and reference-tissue kinetics.

Brain frame (mm): origin at the centre of the cerebrum, +x the animal's left, +y dorsal,
+z rostral (towards the nose).  Structures are ellipsoids at positions and sizes close to
the Paxinos–Franklin mouse atlas (striatum ≈ 8 mm³ a side, whole brain ≈ 0.45 mL); the rat
brain is the mouse brain scaled by 1.65 (≈ 2 mL, Paxinos–Watson).  Later structures replace
earlier ones: the head's soft tissue, the skull, the brain envelope (``midbrain`` where
nothing else lies), the cortex dome, then the deep structures.

Kinetics (:func:`reference_tissue_truths`): a reference region (cerebellum) with a
one-tissue model ``K1′, k2′`` driven by a Feng plasma input, and targets with
``K1 = R1·K1′``, ``k2 = R1·k2′`` and specific binding in fast equilibrium, i.e. a one-tissue
curve with apparent rate ``k2/(1 + BPND)``.  These are exactly the assumptions of the
simplified reference tissue model (Lammertsma & Hume 1996), so ``BPND`` is the truth that
SRTM, MRTM2 and Logan-ref estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide
from positrix.recon.reconstruct import grid_affine
from positrix.simulation.digital_mouse import decay_weighted_frame_means
from positrix.simulation.input_function import FengInput
from positrix.simulation.shapes import Ellipsoid, Pose
from positrix.simulation.voxelise import Phantom, Region

__all__ = [
    "BRAIN_STRUCTURES",
    "FDG_BRAIN_UPTAKE",
    "SPECIES_SCALE",
    "ReferenceTissueKinetics",
    "brain_regions",
    "digital_brain",
    "reference_tissue_truths",
    "simulate_brain_dynamic",
    "simulate_brain_image",
]

#: Injection time of simulated studies (frame times count from it).
INJECTION = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

#: Linear size of each species' brain relative to the mouse's.
SPECIES_SCALE = {"mouse": 1.0, "rat": 1.65}

_E = Ellipsoid
#: Mouse head and brain structures (centre, semi-axes in mm), in painting order.
_MOUSE: dict[str, tuple[_E, str]] = {
    "head": (_E((0.0, -1.2, 0.5), (7.6, 5.6, 10.5)), "soft_tissue"),
    "skull": (_E((0.0, 0.1, 0.6), (5.5, 3.7, 7.9)), "bone"),
    "midbrain": (_E((0.0, 0.0, 0.0), (4.8, 3.0, 6.6)), "soft_tissue"),
    "cortex": (_E((0.0, 0.6, 1.2), (4.7, 2.5, 4.9)), "soft_tissue"),
    "white_matter": (_E((0.0, -0.1, 1.0), (3.7, 1.9, 3.9)), "soft_tissue"),
    "thalamus": (_E((0.0, 0.0, -0.5), (1.5, 1.1, 1.4)), "soft_tissue"),
    "hypothalamus": (_E((0.0, -2.0, 0.4), (0.9, 0.6, 1.4)), "soft_tissue"),
    "striatum_left": (_E((1.9, 0.2, 2.4), (1.1, 1.2, 1.5)), "soft_tissue"),
    "striatum_right": (_E((-1.9, 0.2, 2.4), (1.1, 1.2, 1.5)), "soft_tissue"),
    "hippocampus_left": (_E((2.4, 1.1, -1.5), (1.3, 0.9, 2.0)), "soft_tissue"),
    "hippocampus_right": (_E((-2.4, 1.1, -1.5), (1.3, 0.9, 2.0)), "soft_tissue"),
    "cerebellum": (_E((0.0, 0.7, -4.9), (3.4, 2.0, 1.6)), "soft_tissue"),
    "brainstem": (_E((0.0, -1.2, -4.6), (1.2, 1.0, 2.4)), "soft_tissue"),
    "olfactory_bulb": (_E((0.0, 0.3, 7.0), (1.1, 1.0, 1.4)), "soft_tissue"),
}
#: Structures that are brain (the rest is the head around it).
BRAIN_STRUCTURES = tuple(name for name in _MOUSE if name not in ("head", "skull"))

#: Relative FDG-like uptake (brain mean ≈ 1) used for the built-in templates.
FDG_BRAIN_UPTAKE = {
    "head": 0.25,
    "skull": 0.1,
    "midbrain": 1.0,
    "cortex": 1.25,
    "white_matter": 0.7,
    "thalamus": 1.3,
    "hypothalamus": 0.9,
    "striatum_left": 1.35,
    "striatum_right": 1.35,
    "hippocampus_left": 1.15,
    "hippocampus_right": 1.15,
    "cerebellum": 1.1,
    "brainstem": 0.95,
    "olfactory_bulb": 1.2,
}


def _species(species: str) -> float:
    if species not in SPECIES_SCALE:
        raise PositrixError(
            f"no digital brain for species '{species}'",
            field="species",
            fix="use " + " or ".join(SPECIES_SCALE),
        )
    return SPECIES_SCALE[species]


def brain_regions(species: str = "mouse") -> dict[str, tuple[Ellipsoid, str]]:
    """Structure → (ellipsoid in the brain frame (mm), material), in painting order."""
    scale = _species(species)
    return {
        name: (
            Ellipsoid(
                tuple(scale * c for c in shape.centre_mm),  # type: ignore[arg-type]
                tuple(scale * a for a in shape.semi_axes_mm),  # type: ignore[arg-type]
            ),
            material,
        )
        for name, (shape, material) in _MOUSE.items()
    }


def digital_brain(
    species: str = "mouse",
    activities_bq_ml: Mapping[str, float] | None = None,
    *,
    pose: Pose | None = None,
) -> Phantom:
    """The digital head of ``species`` with the given concentrations (Bq/mL; structures not
    given hold none), placed in the scanner by ``pose`` (default: brain centre at 0)."""
    values = dict(activities_bq_ml or {})
    regions = brain_regions(species)
    unknown = set(values) - set(regions)
    if unknown:
        raise PositrixError(
            f"the digital {species} brain has no structure {sorted(unknown)}",
            field="activities",
            fix="use " + ", ".join(regions),
        )
    return Phantom(
        f"digital-{species}-brain",
        tuple(Region(n, s, m, float(values.get(n, 0.0))) for n, (s, m) in regions.items()),
        pose or Pose(),
    )


@dataclass(frozen=True)
class ReferenceTissueKinetics:
    """A receptor study under the reference-tissue assumptions (module docstring).

    Attributes
    ----------
    bp_nd
        Structure → binding potential (structures not given: 0, non-displaceable only).
    k1_ref, k2_ref
        Reference region's ``K1′`` (mL/min/mL) and ``k2′`` (1/min).
    r1
        Structure → ``K1/K1′`` (default 1).
    head
        ``(K1, k2)`` of the head's soft tissue; the skull takes none.
    injected_bq, weight_g
        Injected activity and body weight (the input is in SUV × Bq/g).
    inp
        Plasma input (Feng model 2; min).
    """

    bp_nd: Mapping[str, float] = field(default_factory=dict)
    k1_ref: float = 0.12
    k2_ref: float = 0.45
    r1: Mapping[str, float] = field(default_factory=dict)
    head: tuple[float, float] = (0.04, 0.2)
    injected_bq: float = 15e6
    weight_g: float = 27.0
    inp: FengInput = field(default_factory=FengInput)

    def __post_init__(self) -> None:
        if min(self.bp_nd.values(), default=0.0) < 0:
            raise PositrixError("BPND must be ≥ 0", field="bp_nd")
        if not (self.k1_ref > 0 and self.k2_ref > 0 and self.injected_bq > 0):
            raise PositrixError("K1′, k2′ and the injected activity must be > 0", field="k1_ref")

    def rates(self, structure: str) -> tuple[float, float]:
        """``(K1, apparent k2)`` of one structure (1/min)."""
        if structure == "skull":
            return 0.0, 1.0
        if structure == "head":
            return self.head
        r1 = float(self.r1.get(structure, 1.0))
        bp = float(self.bp_nd.get(structure, 0.0))
        return r1 * self.k1_ref, r1 * self.k2_ref / (1.0 + bp)

    def curves(self, time_min: ArrayLike, structures: tuple[str, ...]) -> dict[str, NDArray]:
        """Concentration (Bq/mL, not decayed) of each structure at ``time_min``."""
        scale = self.injected_bq / self.weight_g
        out = {}
        for name in structures:
            k1, k2 = self.rates(name)
            out[name] = scale * k1 * self.inp.convolved(time_min, k2)
        return out


def reference_tissue_truths(
    kinetics: ReferenceTissueKinetics,
    start_s: ArrayLike,
    duration_s: ArrayLike,
    *,
    species: str = "mouse",
    nuclide: str = "C-11",
    samples_per_frame: int = 200,
) -> dict[str, NDArray[np.float64]]:
    """Decay-corrected frame means (Bq/mL) of every structure, one per frame (frame times
    in s after injection), as a scanner reports them
    (:func:`~positrix.simulation.digital_mouse.decay_weighted_frame_means`)."""
    structures = tuple(brain_regions(species))
    return decay_weighted_frame_means(
        lambda t_min: kinetics.curves(t_min, structures),
        start_s,
        duration_s,
        nuclide=nuclide,
        samples_per_frame=samples_per_frame,
    )


def simulate_brain_image(
    uptake: Mapping[str, float],
    *,
    species: str = "mouse",
    pose: Pose | None = None,
    shape: tuple[int, int, int] = (48, 48, 48),
    voxel_mm: float = 0.5,
    fwhm_mm: float = 1.5,
    noise_sd: float = 0.0,
    seed: int = 0,
) -> Image:
    """A static PET-like image of the digital head without a scanner: the phantom voxelised
    (3³ points per voxel) on a grid centred at 0, blurred by a Gaussian of ``fwhm_mm`` and
    given white Gaussian noise of ``noise_sd`` (in the uptake's unit).  For group studies
    where many subjects are needed quickly; :mod:`positrix.simulation.brain_study` goes
    through the scanner."""
    affine = grid_affine(shape, (voxel_mm, voxel_mm, voxel_mm))
    truth = digital_brain(species, uptake, pose=pose).voxelise(shape, affine)
    sigma = fwhm_mm / np.sqrt(8.0 * np.log(2.0)) / voxel_mm
    data = ndimage.gaussian_filter(truth.activity_bq_ml.astype(np.float64), sigma)
    if noise_sd > 0:
        data += np.random.default_rng(seed).normal(0.0, noise_sd, data.shape)
    return Image(
        data.astype(np.float32), affine, unit="Bq/mL", description=f"simulated {species} brain"
    )


def simulate_brain_dynamic(
    kinetics: ReferenceTissueKinetics,
    start_s: ArrayLike,
    duration_s: ArrayLike,
    *,
    species: str = "mouse",
    pose: Pose | None = None,
    shape: tuple[int, int, int] = (48, 48, 48),
    voxel_mm: float = 0.5,
    fwhm_mm: float = 1.5,
    noise_percent: float = 0.0,
    nuclide: str = "C-11",
    seed: int = 0,
) -> tuple[Image, dict[str, NDArray[np.float64]]]:
    """A dynamic receptor study without a scanner: each frame's truth
    (:func:`reference_tissue_truths`) painted on the head, blurred by ``fwhm_mm`` and given
    Gaussian noise of ``noise_percent`` % of the frame's brain mean scaled by
    ``√(60 s / duration)``.  Returns the image (Bq/mL, decay-corrected to injection) and
    the truth per structure."""
    starts = np.atleast_1d(np.asarray(start_s, dtype=np.float64))
    durations = np.atleast_1d(np.asarray(duration_s, dtype=np.float64))
    truth = reference_tissue_truths(kinetics, starts, durations, species=species, nuclide=nuclide)
    affine = grid_affine(shape, (voxel_mm, voxel_mm, voxel_mm))
    weights = digital_brain(species, pose=pose).region_weights(shape, affine, supersample=3)
    sigma = fwhm_mm / np.sqrt(8.0 * np.log(2.0)) / voxel_mm
    rng = np.random.default_rng(seed)
    frames = []
    for f in range(starts.size):
        volume = weights.image({n: float(v[f]) for n, v in truth.items()}).astype(np.float64)
        volume = ndimage.gaussian_filter(volume, sigma)
        if noise_percent > 0:
            level = float(np.mean([truth[n][f] for n in BRAIN_STRUCTURES]))
            sd = noise_percent / 100.0 * level * np.sqrt(60.0 / durations[f])
            volume += rng.normal(0.0, sd, volume.shape)
        frames.append(volume)
    image = Image(
        np.stack(frames, -1).astype(np.float32),
        affine,
        unit="Bq/mL",
        frames=FrameTable(starts, durations, INJECTION),
        decay_reference=INJECTION,
        injection=Injection(nuclide=get_nuclide(nuclide)),
        description=f"simulated {species} receptor study",
    )
    return image, truth
