"""Where the NEMA objects are: the image-quality phantom's pose and point sources.

Phantom frame (the one :func:`positrix.simulation.phantoms.nema_iq_phantom` uses): the axis
is ``z'``, pointing from the rod end to the open uniform chamber; the origin is the centre
of the 50 mm fillable length; ``x'`` points to the centre of the 5 mm rod and
``y' = z' × x'``.  In that frame the rod region is ``z' ∈ [−25, −5]`` mm (rods on a circle
of radius 7 mm), the uniform chamber ``z' ∈ [−5, 25]`` (Ø 30 mm) and the cold inserts
``z' ∈ [10, 25]`` (inner Ø 8 mm, centres 7.5 mm off axis).

:func:`locate_iq_phantom` finds that frame in an image without assuming the phantom's
position, roll, tilt or which end the rods point to:

1. smooth lightly (σ = 1 mm), threshold at half the level of the bulk of the activity
   and keep the largest connected component; its centroid and principal axis are the start;
2. resample the smoothed image along the current axis and take the activity of each
   slice: the uniform chamber is the 30 mm run above half the maximum; the rod end is the
   end beyond which there is more (rod) activity.  The chamber's two ends, each found at
   the midpoint between the plateaus on either side of it (exact for a symmetric blur), fix
   the origin along the axis;
3. the activity centroids of the chamber slices (``z' ∈ [−1, 23]``, symmetric about the
   axis: a disc, or a disc with two opposite inserts) lie on the axis; a straight-line fit
   through them corrects the tilt and the transaxial position.  Steps 2–3 are repeated;
4. in the averaged rod slices (``z' ∈ [−20, −10]``) the angular activity profile between
   radii 3 and 11 mm has five lobes 72° apart: the phase of its fifth Fourier harmonic gives
   their angles, and the lobe with the most activity is the 5 mm rod (rods are ranked by
   activity, never by their order around the circle);
5. in the averaged insert slices (``z' ∈ [12, 23]``) the angular profile between radii 4 and
   11 mm has two dips 180° apart: the phase of its second harmonic gives the inserts.

Which insert holds water and which air cannot be told from a PET image; see
:func:`positrix.quant.nema.iq.nema_iq` for how it is decided.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.dynamic import checked_frame
from positrix.image.grid import Grid
from positrix.image.image import Image

__all__ = [
    "CHAMBER_Z_MM",
    "INSERT_OFFSET_MM",
    "INSERT_Z_MM",
    "ROD_DIAMETERS_MM",
    "ROD_RADIUS_MM",
    "ROD_Z_MM",
    "PhantomPose",
    "find_point_sources",
    "frame_volume",
    "locate_iq_phantom",
    "sample_world",
]

#: Rod diameters of the NU 4 image-quality phantom (mm).
ROD_DIAMETERS_MM = (1.0, 2.0, 3.0, 4.0, 5.0)
#: Radius of the circle the rod centres lie on (mm).
ROD_RADIUS_MM = 7.0
#: Axial extent of the rods in the phantom frame (mm).
ROD_Z_MM = (-25.0, -5.0)
#: Axial extent and radius of the uniform chamber (mm).
CHAMBER_Z_MM = (-5.0, 25.0)
CHAMBER_RADIUS_MM = 15.0
#: Axial extent of the cold inserts and distance of their centres from the axis (mm).
INSERT_Z_MM = (10.0, 25.0)
INSERT_OFFSET_MM = 7.5

_STEP_MM = 0.5  # sampling of the phantom frame during localisation
_SMOOTH_MM = 1.0


# -- shared helpers ---------------------------------------------------------------------
def frame_volume(image: Image, frame: int | None, *, what: str) -> NDArray[np.float64]:
    """The 3-D float64 array of one frame, checked for use by the NEMA analyses.

    Parameters
    ----------
    image
        A 3-D image, or a 4-D one with ``frame`` given.
    frame
        Frame index of a dynamic image (negative counts from the end); ``None`` for a
        3-D or single-frame image.
    what
        Name of the analysis, for error messages.

    Raises
    ------
    PositrixError
        For a dynamic image without ``frame``, a frame that does not exist, a volume that
        is flat (fewer than 3 voxels along an axis) or values that are not finite.
    """
    source = image.metadata.get("source_path")
    if frame is None:
        if image.n_frames > 1:
            raise PositrixError(
                f"the image has {image.n_frames} frames; the {what} analysis needs one",
                source=source,
                field="frame",
                fix="choose one with --frame N (frame=N) or sum the frames first",
            )
        frame = 0
    data = np.asarray(image.frame_data(checked_frame(image, frame, field="frame")), np.float64)
    if min(data.shape) < 3:
        raise PositrixError(
            f"the {what} analysis needs a 3-D volume, but the image is flat (shape {data.shape})",
            source=source,
            field="data",
            fix="give the whole reconstructed volume, not a single slice or projection",
        )
    if not np.all(np.isfinite(data)):
        raise PositrixError(
            "the image holds NaN or infinite values",
            source=source,
            field="data",
            fix="replace them (e.g. with 0) before the analysis",
        )
    return data


def sample_world(
    data: NDArray[np.float64], grid: Grid, points_mm: ArrayLike, *, order: int = 1
) -> NDArray[np.float64]:
    """Values of ``data`` at world points ``(..., 3)`` (mm); 0 outside the image."""
    points = np.asarray(points_mm, dtype=np.float64).reshape(-1, 3)
    inverse = np.linalg.inv(grid.affine)
    index = np.stack(  # row by row: faster than a (n, 3) @ (3, 3) product
        [
            points[:, 0] * inverse[c, 0]
            + points[:, 1] * inverse[c, 1]
            + points[:, 2] * inverse[c, 2]
            + inverse[c, 3]
            for c in range(3)
        ]
    )
    values = ndimage.map_coordinates(data, index, order=order, mode="constant", cval=0.0)
    return np.asarray(values, dtype=np.float64).reshape(np.shape(points_mm)[:-1])


def _smooth(data: NDArray[np.float64], grid: Grid, sigma_mm: float) -> NDArray[np.float64]:
    sigma = [sigma_mm / s for s in grid.voxel_size_mm]
    return np.asarray(ndimage.gaussian_filter(data, sigma, mode="constant"), dtype=np.float64)


def _perpendicular(axis: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two unit vectors completing ``axis`` to a right-handed orthonormal basis."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = helper - axis * float(helper @ axis)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(axis, e1)


# -- the pose -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PhantomPose:
    """Position and orientation of the NEMA image-quality phantom in world coordinates.

    Attributes
    ----------
    centre_mm
        World position (LPS, mm) of the phantom origin, the centre of its fillable length.
    rotation
        3×3 matrix whose columns are the phantom axes ``x'`` (towards the 5 mm rod),
        ``y'`` and ``z'`` (rod end → uniform chamber) in world coordinates; phantom point
        ``p`` is at world ``centre + rotation @ p``.
    rod_angles_deg
        Angle of each rod (key: diameter in mm as ``"1"`` … ``"5"``) about ``z'`` from
        ``x'``, counter-clockwise, in degrees (``"5"`` is 0 by definition).
    insert_angles_deg
        Angles of the two cold inserts in the same sense, the one on the ``+y'`` side
        first.
    """

    centre_mm: tuple[float, float, float]
    rotation: NDArray[np.float64]
    rod_angles_deg: Mapping[str, float]
    insert_angles_deg: tuple[float, float]

    @property
    def axis(self) -> tuple[float, float, float]:
        """Unit vector of the phantom axis ``z'`` (from the rods to the chamber), world."""
        a = self.rotation[:, 2]
        return (float(a[0]), float(a[1]), float(a[2]))

    @property
    def rod_end_sign(self) -> int:
        """``-1`` when the rod end points to world −z (axis along +z), ``+1`` otherwise."""
        return -1 if self.rotation[2, 2] >= 0 else 1

    @property
    def rotation_deg(self) -> float:
        """Direction of the 5 mm rod seen along world z: ``atan2(y, x)`` of ``x'``, 0–360°."""
        x = self.rotation[:, 0]
        return float(math.degrees(math.atan2(x[1], x[0])) % 360.0)

    @property
    def tilt_deg(self) -> float:
        """Angle between the phantom axis and the world z axis (either sense), degrees."""
        return float(math.degrees(math.acos(min(1.0, abs(float(self.rotation[2, 2]))))))

    def to_world(self, points: ArrayLike) -> NDArray[np.float64]:
        """World positions (mm) of phantom-frame points ``(..., 3)``."""
        p = np.asarray(points, dtype=np.float64)
        return np.asarray(p @ self.rotation.T + np.asarray(self.centre_mm), dtype=np.float64)

    def to_phantom(self, points_mm: ArrayLike) -> NDArray[np.float64]:
        """Phantom-frame coordinates of world points ``(..., 3)`` (mm)."""
        w = np.asarray(points_mm, dtype=np.float64) - np.asarray(self.centre_mm)
        return np.asarray(w @ self.rotation, dtype=np.float64)

    def rod_xy(self, diameter: str) -> tuple[float, float]:
        """Phantom-frame ``(x', y')`` (mm) of a rod's axis; ``diameter`` as ``"1"`` … ``"5"``."""
        angle = math.radians(self.rod_angles_deg[diameter])
        return (ROD_RADIUS_MM * math.cos(angle), ROD_RADIUS_MM * math.sin(angle))

    def insert_xy(self, which: int) -> tuple[float, float]:
        """Phantom-frame ``(x', y')`` (mm) of cold insert 0 (``+y'`` side) or 1."""
        angle = math.radians(self.insert_angles_deg[which])
        return (INSERT_OFFSET_MM * math.cos(angle), INSERT_OFFSET_MM * math.sin(angle))

    def rod_centre_mm(self, diameter: str) -> tuple[float, float, float]:
        """World position (mm) of the middle of a rod."""
        x, y = self.rod_xy(diameter)
        p = self.to_world([x, y, sum(ROD_Z_MM) / 2.0])
        return (float(p[0]), float(p[1]), float(p[2]))

    def insert_centre_mm(self, which: int) -> tuple[float, float, float]:
        """World position (mm) of the middle of cold insert 0 or 1."""
        x, y = self.insert_xy(which)
        p = self.to_world([x, y, sum(INSERT_Z_MM) / 2.0])
        return (float(p[0]), float(p[1]), float(p[2]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (mm, degrees)."""
        return {
            "centre_mm": list(self.centre_mm),
            "axis": list(self.axis),
            "rotation_deg": self.rotation_deg,
            "tilt_deg": self.tilt_deg,
            "rod_end_sign": self.rod_end_sign,
            "rod_centres_mm": {d: list(self.rod_centre_mm(d)) for d in self.rod_angles_deg},
        }


# -- localisation of the IQ phantom -------------------------------------------------------
def _no_phantom(image: Image, problem: str) -> PositrixError:
    return PositrixError(
        f"no NEMA NU 4 image-quality phantom found: {problem}",
        source=image.metadata.get("source_path"),
        field="data",
        fix="give a reconstructed image of the filled IQ phantom (uniform chamber Ø 30 × 30 mm "
        "with five rods and two cold inserts) that covers the whole phantom",
    )


def _start(
    image: Image, smoothed: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centroid and principal axis of the bulk of the activity."""
    top = float(smoothed.max())
    if not top > 0:
        raise _no_phantom(image, "the image holds no positive values")
    level = float(np.median(smoothed[smoothed > 0.3 * top]))
    labels, n = ndimage.label(smoothed > 0.5 * level, structure=np.ones((3, 3, 3)))
    if n == 0:
        raise _no_phantom(image, "nothing stands out from the background")
    sizes = np.bincount(labels.ravel())[1:]
    mask = labels == (int(np.argmax(sizes)) + 1)
    volume_ml = float(mask.sum()) * image.voxel_volume_ml
    if not 5.0 <= volume_ml <= 60.0:
        raise _no_phantom(
            image, f"the activity fills {volume_ml:.3g} mL; the phantom's fill is about 20 mL"
        )
    points = image.grid.index_to_world(np.argwhere(mask))
    centre = points.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov((points - centre).T))
    return centre, vectors[:, 2]


def _crossing(
    z: NDArray[np.float64], profile: NDArray[np.float64], guess: float, inner: float
) -> float | None:
    """Where ``profile`` crosses halfway between its plateaus either side of ``guess``.

    ``inner`` is +1 when the higher plateau (the chamber) is at larger ``z``.
    """
    offset = inner * (z - guess)
    inside = profile[(offset > 3.0) & (offset < 10.0)]
    outside = profile[(offset < -3.0) & (offset > -12.0)]
    if inside.size == 0 or outside.size == 0:
        return None
    mid = 0.5 * (float(np.median(inside)) + float(np.median(outside)))
    near = np.abs(z - guess) <= 6.0
    idx = np.flatnonzero(near)
    best: float | None = None
    for a, b in itertools.pairwise(idx):
        fa, fb = profile[a] - mid, profile[b] - mid
        if fa == 0.0 or fa * fb < 0:
            t = 0.0 if fa == 0.0 else fa / (fa - fb)
            at = float(z[a] + t * (z[b] - z[a]))
            if best is None or abs(at - guess) < abs(best - guess):
                best = at
    return best


def _refine(
    image: Image,
    smoothed: NDArray[np.float64],
    centre: NDArray[np.float64],
    axis: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One pass of steps 2–3: origin along the axis, rod end, tilt and transaxial position."""
    e1, e2 = _perpendicular(axis)
    u = np.arange(-18.0, 18.0 + 1e-9, 2 * _STEP_MM)
    w = np.arange(-45.0, 45.0 + 1e-9, _STEP_MM)
    uu, vv = np.meshgrid(u, u, indexing="ij")
    inside = uu**2 + vv**2 <= 17.5**2
    pu, pv = uu[inside], vv[inside]
    points = (
        centre
        + pu[None, :, None] * e1
        + pv[None, :, None] * e2
        + w[:, None, None] * axis  # (nw, npix, 3)
    )
    values = sample_world(smoothed, image.grid, points)
    profile = values.sum(axis=1)
    top = int(np.argmax(profile))
    half = 0.5 * float(profile[top])
    lo = top
    while lo > 0 and profile[lo - 1] > half:
        lo -= 1
    hi = top
    while hi < w.size - 1 and profile[hi + 1] > half:
        hi += 1
    if lo == 0 or hi == w.size - 1:
        raise _no_phantom(image, "the activity runs out of the image or is longer than 90 mm")
    before = profile[(w < w[lo] - 4.0) & (w > w[lo] - 16.0)]
    after = profile[(w > w[hi] + 4.0) & (w < w[hi] + 16.0)]
    sign = 1.0 if float(before.mean()) >= float(after.mean()) else -1.0  # +1: rods at low w
    junction_guess, top_guess = (w[lo], w[hi]) if sign > 0 else (w[hi], w[lo])
    junction = _crossing(w, profile, float(junction_guess), sign)
    top_end = _crossing(w, profile, float(top_guess), -sign)
    if junction is None or top_end is None:
        raise _no_phantom(image, "the ends of the uniform chamber are not clear")
    length = sign * (top_end - junction)
    expected = CHAMBER_Z_MM[1] - CHAMBER_Z_MM[0]
    if not 0.75 * expected <= length <= 1.25 * expected:
        raise _no_phantom(image, f"the uniform part is {length:.3g} mm long, not about 30 mm")
    origin = 0.5 * (junction + top_end) - sign * 0.5 * sum(CHAMBER_Z_MM)
    z_phantom = sign * (w - origin)
    chamber = (z_phantom >= -1.0) & (z_phantom <= 23.0)
    weights = np.clip(values[chamber], 0.0, None)
    total = weights.sum(axis=1)
    if np.any(total <= 0):
        raise _no_phantom(image, "the uniform chamber has empty slices")
    cu = (weights * pu).sum(axis=1) / total
    cv = (weights * pv).sum(axis=1) / total
    dz = w[chamber] - origin
    slope_u, icpt_u = np.polyfit(dz, cu, 1)
    slope_v, icpt_v = np.polyfit(dz, cv, 1)
    new_centre = centre + origin * axis + icpt_u * e1 + icpt_v * e2
    new_axis = axis + slope_u * e1 + slope_v * e2
    new_axis = sign * new_axis / np.linalg.norm(new_axis)
    return np.asarray(new_centre, dtype=np.float64), np.asarray(new_axis, dtype=np.float64)


def _angular_profile(
    image: Image,
    smoothed: NDArray[np.float64],
    centre: NDArray[np.float64],
    basis: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    *,
    z_range: tuple[float, float],
    r_range: tuple[float, float],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Angles (rad) and the activity per angle, ``∫ f r dr`` averaged over ``z_range``."""
    e1, e2, axis = basis
    theta = np.radians(np.arange(0.0, 360.0, 1.0))
    r = np.arange(r_range[0], r_range[1] + 1e-9, _STEP_MM)
    z = np.arange(z_range[0], z_range[1] + 1e-9, 2 * _STEP_MM)
    ct, st = np.cos(theta), np.sin(theta)
    points = (
        centre
        + (r[None, None, :, None] * ct[None, :, None, None]) * e1
        + (r[None, None, :, None] * st[None, :, None, None]) * e2
        + z[:, None, None, None] * axis
    )
    values = sample_world(smoothed, image.grid, points).mean(axis=0)  # (ntheta, nr)
    return theta, (values * r).sum(axis=1)


def _harmonic_phase(theta: NDArray[np.float64], profile: NDArray[np.float64], n: int) -> float:
    """``arg`` of the ``n``-th Fourier coefficient ``Σ p(θ) exp(−i n θ)``."""
    return float(np.angle(np.sum(profile * np.exp(-1j * n * theta))))


def locate_iq_phantom(image: Image, *, frame: int | None = None) -> PhantomPose:
    """Find the NEMA NU 4 image-quality phantom in a PET image.

    Parameters
    ----------
    image
        Reconstructed image of the filled phantom (any unit), 3-D, or 4-D with ``frame``.
        It must contain the whole phantom.  Position, roll about the axis, a tilt of some
        degrees and the direction the rods point to are found from the image.
    frame
        Frame of a dynamic image.

    Returns
    -------
    PhantomPose
        Position, axes, rod and cold-insert angles (see the module docstring for how).

    Raises
    ------
    PositrixError
        When the image is flat, empty, or holds no object shaped like the phantom.
    """
    data = frame_volume(image, frame, what="NEMA image-quality")
    smoothed = _smooth(data, image.grid, _SMOOTH_MM)
    centre, axis = _start(image, smoothed)
    for _ in range(4):
        previous = centre
        centre, axis = _refine(image, smoothed, centre, axis)
        if np.linalg.norm(centre - previous) < 0.01:
            break
    e1, e2 = _perpendicular(axis)
    basis = (e1, e2, axis)

    mid = sum(ROD_Z_MM) / 2.0
    theta, rods = _angular_profile(
        image, smoothed, centre, basis, z_range=(mid - 5.0, mid + 5.0), r_range=(3.0, 11.0)
    )
    phase = (-_harmonic_phase(theta, rods, 5) / 5.0) % (2 * np.pi / 5)
    lobe_angles = phase + 2 * np.pi / 5 * np.arange(5)
    wrapped = np.angle(np.exp(1j * (theta[None, :] - lobe_angles[:, None])))
    activity = np.array([rods[np.abs(wrapped[k]) < np.pi / 5].sum() for k in range(5)])
    if not activity.max() > 0:
        raise _no_phantom(image, "no rods in the rod region")
    ranked = np.argsort(activity)  # smallest activity → 1 mm rod
    rod_angle = {
        f"{d:g}": float(lobe_angles[k]) for d, k in zip(ROD_DIAMETERS_MM, ranked, strict=True)
    }
    roll = rod_angle["5"]

    z_ins = (INSERT_Z_MM[0] + 2.0, INSERT_Z_MM[1] - 2.0)
    theta, ring = _angular_profile(
        image, smoothed, centre, basis, z_range=z_ins, r_range=(4.0, 11.0)
    )
    insert = (np.pi - _harmonic_phase(theta, ring, 2)) / 2.0
    depth = float(np.median(ring)) - float(ring.min())
    if not depth > 0.25 * float(np.median(ring)):
        raise _no_phantom(image, "the two cold inserts are not visible in the chamber")

    x_axis = math.cos(roll) * e1 + math.sin(roll) * e2
    rotation = np.column_stack([x_axis, np.cross(axis, x_axis), axis])
    rotation.flags.writeable = False
    rods_deg = {d: float(math.degrees(a - roll)) % 360.0 for d, a in sorted(rod_angle.items())}
    a = math.degrees(insert - roll) % 360.0
    b = (a + 180.0) % 360.0
    first, second = (a, b) if math.sin(math.radians(a)) >= 0 else (b, a)
    return PhantomPose(
        centre_mm=(float(centre[0]), float(centre[1]), float(centre[2])),
        rotation=rotation,
        rod_angles_deg=rods_deg,
        insert_angles_deg=(first, second),
    )


# -- point sources ------------------------------------------------------------------------
def find_point_sources(
    image: Image,
    *,
    frame: int | None = None,
    n_sources: int | None = None,
    positions_mm: Sequence[ArrayLike] | None = None,
    search_radius_mm: float = 5.0,
    min_separation_mm: float = 5.0,
    threshold: float = 0.5,
) -> list[tuple[int, int, int]]:
    """Voxel indices of the point sources in an image.

    The image is smoothed lightly (σ = 1 voxel) and the sources are taken as

    * with ``positions_mm``: the hottest voxel within ``search_radius_mm`` of each position;
    * with ``n_sources``: the ``n`` hottest maxima at least ``min_separation_mm`` apart;
    * otherwise: every maximum at least ``min_separation_mm`` from a hotter one and above
      ``threshold`` × the hottest.

    Each index is then moved to the hottest voxel of the unsmoothed image among its 26
    neighbours (the profiles of NEMA go through the peak voxel).

    Raises
    ------
    PositrixError
        When the image holds no positive value, a position is outside the image or fewer
        than ``n_sources`` sources are found.
    """
    data = frame_volume(image, frame, what="spatial-resolution")
    source = image.metadata.get("source_path")
    smoothed = ndimage.gaussian_filter(data, 1.0, mode="constant")
    if not float(smoothed.max()) > 0:
        raise PositrixError(
            "the image holds no positive values, so no point source",
            source=source,
            field="data",
            fix="give the reconstructed image of the point-source acquisition",
        )
    grid = image.grid
    if positions_mm is not None:
        if len(positions_mm) == 0:
            raise PositrixError(
                "no source positions given",
                field="positions_mm",
                fix="give at least one x,y,z or leave them out",
            )
        return [_peak_near(data, smoothed, grid, p, search_radius_mm, source) for p in positions_mm]
    if n_sources is not None and n_sources < 1:
        raise PositrixError(
            f"n_sources must be ≥ 1, not {n_sources}", field="n_sources", fix="give 1 or more"
        )
    size = [max(3, 2 * round(min_separation_mm / s) + 1) for s in grid.voxel_size_mm]
    is_max = (ndimage.maximum_filter(smoothed, size=size, mode="constant") == smoothed) & (
        smoothed > 0
    )
    if n_sources is None:
        is_max &= smoothed >= threshold * float(smoothed.max())
    candidates = np.argwhere(is_max)
    order = np.argsort(-smoothed[tuple(candidates.T)], kind="stable")
    accepted: list[NDArray[np.float64]] = []
    chosen = []
    for index in candidates[order]:  # drop equal neighbours (plateaus) and close maxima
        where = grid.index_to_world(index.astype(np.float64))
        if all(np.linalg.norm(where - other) >= min_separation_mm for other in accepted):
            accepted.append(where)
            chosen.append(index)
            if n_sources is not None and len(chosen) == n_sources:
                break
    if n_sources is not None and len(chosen) < n_sources:
        raise PositrixError(
            f"found {len(chosen)} sources, not {n_sources}",
            source=source,
            field="n_sources",
            fix="check the count, or give the positions",
        )
    return [_climb(data, tuple(int(v) for v in c)) for c in chosen]


def _climb(data: NDArray[np.float64], index: tuple[int, ...]) -> tuple[int, int, int]:
    lo = [max(0, i - 1) for i in index]
    block = data[lo[0] : index[0] + 2, lo[1] : index[1] + 2, lo[2] : index[2] + 2]
    best = np.unravel_index(int(np.argmax(block)), block.shape)
    return (lo[0] + int(best[0]), lo[1] + int(best[1]), lo[2] + int(best[2]))


def _peak_near(
    data: NDArray[np.float64],
    smoothed: NDArray[np.float64],
    grid: Grid,
    position: ArrayLike,
    radius_mm: float,
    source: str | None,
) -> tuple[int, int, int]:
    point = np.asarray(position, dtype=np.float64)
    if point.shape != (3,):
        raise PositrixError(
            f"a source position needs x, y, z, got {point.tolist()}",
            field="positions_mm",
            fix="give x,y,z in mm",
        )
    centre = grid.world_to_index(point)
    if np.any(centre < -0.5) or np.any(centre > np.asarray(grid.shape) - 0.5):
        raise PositrixError(
            f"the source position {point.tolist()} mm is outside the image",
            source=source,
            field="positions_mm",
            fix="give world LPS positions (mm) inside the image",
        )
    reach = np.ceil(radius_mm / np.asarray(grid.voxel_size_mm)).astype(int) + 1
    lo = np.maximum(np.round(centre).astype(int) - reach, 0)
    hi = np.minimum(np.round(centre).astype(int) + reach + 1, grid.shape)
    idx = np.indices(hi - lo).reshape(3, -1).T + lo
    near = np.linalg.norm(grid.index_to_world(idx) - point, axis=1) <= radius_mm
    cand = idx[near] if np.any(near) else np.round(centre).astype(int)[None, :]
    best = cand[int(np.argmax(smoothed[tuple(cand.T)]))]
    return _climb(data, tuple(int(v) for v in best))
