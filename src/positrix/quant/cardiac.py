"""Left-ventricle analysis: detection, short-axis frame, polar map (17 segments), defect.

1. **Detection** (:func:`find_lv`): the image is smoothed (1 mm) and thresholded at half its
   maximum; a component is a left ventricle when it is a shell, i.e. its centroid is colder
   than 70 % of its mean (a blood pool lies inside), of 5 µL–3 mL.  The largest wins; none
   is an error.  ``centre_mm`` restricts the search to 8 mm around a given point.
2. **Long axis**: the component's principal axis of largest variance; it points from the
   base (open end) to the apex (closed end: myocardium crosses the axis), or as given.
   **Anterior** is the body's ventral direction (−y, LPS) made orthogonal to the axis, the
   **septum** the direction towards the animal's right (−x); both can be given.
3. **Sampling** (:func:`polar_map`): rays from the cavity centre ``O`` at polar angle ``α``
   from the apex direction (3° steps) and azimuth ``ψ`` from anterior towards the septum
   (6° steps); each sample is the maximum along its ray (0.25 × the voxel step), at the
   point where it occurs, with the area weight ``r²·sin α·Δα·Δψ``.  Samples whose maximum
   lies beyond the base plane are dropped, and so are all rings (polar angles) from the
   first one that is not whole (≥ 90 % of its rays inside); the base plane is set 15 % of
   the LV length inside the myocardium's basal end, whose blurred rim would otherwise read
   as a defect.
4. **17 segments** (Cerqueira et al., Circulation 105:539, 2002), scaled to the heart: the
   apex (17) is what lies beyond the end of the cavity; the rest is split into equal
   basal (1–6), mid (7–12) and apical (13–16) thirds along the axis; sectors of 60°
   (basal, mid: anterior, anteroseptal, inferoseptal, inferior, inferolateral,
   anterolateral) and 90° (apical: anterior, septal, inferior, lateral) centred on anterior.
5. **Defect extent**: area share (%) of the samples below ``threshold`` × the maximum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.dynamic import sum_frames
from positrix.image.image import Image

__all__ = [
    "SEGMENT_NAMES",
    "GatedVolumes",
    "LVFrame",
    "PolarMap",
    "find_lv",
    "gated_volumes",
    "plot_polar_map",
    "polar_map",
    "reorient",
]

SEGMENT_NAMES = {
    1: "basal anterior",
    2: "basal anteroseptal",
    3: "basal inferoseptal",
    4: "basal inferior",
    5: "basal inferolateral",
    6: "basal anterolateral",
    7: "mid anterior",
    8: "mid anteroseptal",
    9: "mid inferoseptal",
    10: "mid inferior",
    11: "mid inferolateral",
    12: "mid anterolateral",
    13: "apical anterior",
    14: "apical septal",
    15: "apical inferior",
    16: "apical lateral",
    17: "apex",
}
_D_ALPHA, _D_PSI = 3.0, 6.0
_BASE_TRIM = 0.15


@dataclass(frozen=True)
class LVFrame:
    """Where the LV is and how it is turned (world mm, unit vectors).

    Attributes
    ----------
    centre_mm
        Cavity centre ``O`` (the rays' origin).
    long_axis
        Base → apex.
    anterior, septal
        In-plane directions (orthogonal to the axis and to each other).
    base_mm, apex_mm
        Heights along the axis (from ``O``) of the base plane and the outer apex.
    cavity_end_mm
        Height where the cavity ends (the apex segment lies beyond).
    """

    centre_mm: NDArray[np.float64]
    long_axis: NDArray[np.float64]
    anterior: NDArray[np.float64]
    septal: NDArray[np.float64]
    base_mm: float
    apex_mm: float
    cavity_end_mm: float
    rim_mm: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "centre_mm": [round(float(v), 3) for v in self.centre_mm],
            "long_axis": [round(float(v), 4) for v in self.long_axis],
            "anterior": [round(float(v), 4) for v in self.anterior],
            "length_mm": round(self.apex_mm - self.base_mm, 3),
        }


def _static(image: Image) -> NDArray[np.float64]:
    """Voxels of the image, a dynamic one's frames summed (4-D images carry frames)."""
    summed = sum_frames(image, allow_gaps=True) if image.is_dynamic else image
    return np.nan_to_num(np.asarray(summed.data, dtype=np.float64))


def _unit(v: ArrayLike, name: str) -> NDArray[np.float64]:
    vector = np.asarray(v, dtype=np.float64).reshape(3)
    norm = float(np.linalg.norm(vector))
    if not norm > 0:
        raise PositrixError(f"the {name} direction is zero", field=f"--{name}")
    return vector / norm


def find_lv(
    image: Image,
    *,
    centre_mm: ArrayLike | None = None,
    long_axis: ArrayLike | None = None,
    anterior: ArrayLike | None = None,
) -> LVFrame:
    """Detect the LV and its axes (module docstring, steps 1–2).

    Raises
    ------
    PositrixError
        When no shell-like hot structure (a heart) is found.
    """
    static = _static(image)
    spacing = np.asarray(image.voxel_size_mm)
    smooth = ndimage.gaussian_filter(static, 1.0 / 2.3548 / spacing)
    region = np.ones(static.shape, dtype=bool)
    if centre_mm is not None:
        grid = np.stack(np.meshgrid(*[np.arange(n) for n in static.shape], indexing="ij"), -1)
        distance = np.linalg.norm(
            image.grid.index_to_world(grid.reshape(-1, 3)) - np.asarray(centre_mm, dtype=float),
            axis=1,
        )
        region = (distance <= 8.0).reshape(static.shape)
    peak = float(smooth[region].max()) if region.any() else 0.0
    if not peak > 0:
        raise PositrixError("no heart found: the image holds no signal", field="IMAGE")
    hot = (smooth >= 0.5 * peak) & region
    found, n = ndimage.label(hot, np.ones((3, 3, 3)))
    voxel_ml = image.voxel_volume_ml
    best = None
    for number in range(1, n + 1):
        members = np.argwhere(found == number).astype(np.float64)
        volume = members.shape[0] * voxel_ml
        if not 0.005 <= volume <= 3.0:
            continue
        centroid = members.mean(axis=0)
        at_centre = ndimage.map_coordinates(smooth, centroid[:, None], order=1)[0]
        if at_centre < 0.7 * smooth[found == number].mean() and (best is None or volume > best[0]):
            best = (volume, members)
    if best is None:
        raise PositrixError(
            "no heart found: no hot shell around a colder blood pool in the image",
            field="IMAGE",
            fix="give a cardiac PET image (FDG, ammonia, …), or --centre near the left "
            "ventricle and --long-axis",
        )
    points = image.grid.index_to_world(best[1])
    centre = points.mean(axis=0)
    if long_axis is not None:
        return _frame(image, smooth, points, centre, _unit(long_axis, "long-axis"), anterior)
    frame = _frame(image, smooth, points, centre, _long_axis(points, centre, spacing), anterior)
    for _ in range(4):  # the axis through the centres of the myocardial rings
        axis, centre = _ring_axis(image, smooth, frame)
        frame = _frame(image, smooth, points, centre, axis, anterior)
    return frame


def _long_axis(points: NDArray, centre: NDArray, spacing: NDArray) -> NDArray[np.float64]:
    values, vectors = np.linalg.eigh(np.cov((points - centre).T))
    axis = vectors[:, int(np.argmax(values))]
    h = (points - centre) @ axis
    radial = np.linalg.norm((points - centre) - np.outer(h, axis), axis=1)
    near_axis = radial <= max(float(spacing.max()), 0.5)
    # the apex end is closed: myocardium crosses the axis there
    forward = np.count_nonzero(near_axis & (h > 0))
    backward = np.count_nonzero(near_axis & (h < 0))
    return axis if forward >= backward else -axis


def _ring_axis(image: Image, smooth: NDArray, frame: LVFrame) -> tuple[NDArray, NDArray]:
    """Refined axis and centre: the line through the centres of circles fitted (Kåsa's
    algebraic fit) to the myocardial maxima in height bins over the middle of the cavity;
    only rays at ≥ 60 % of the maximum count, so that a defect does not pull the centres."""
    _, _, values, where, keep = _rays(image, smooth, frame)
    keep = keep & (values >= 0.6 * values[keep].max())
    relative = where - frame.centre_mm
    height = relative @ frame.long_axis
    x, y = relative @ frame.anterior, relative @ frame.septal
    low = frame.base_mm + 0.15 * (frame.cavity_end_mm - frame.base_mm)
    high = frame.cavity_end_mm - 0.15 * (frame.cavity_end_mm - frame.base_mm)
    edges = np.linspace(low, high, 7)
    centres = []
    for a, b in itertools.pairwise(edges):
        chosen = keep & (height >= a) & (height < b)
        if chosen.sum() < 20:
            continue
        px, py = x[chosen], y[chosen]
        design = np.stack([2 * px, 2 * py, np.ones_like(px)], axis=1)
        (cx, cy, _), *_ = np.linalg.lstsq(design, px * px + py * py, rcond=None)
        h = float(height[chosen].mean())
        centres.append(
            frame.centre_mm + h * frame.long_axis + cx * frame.anterior + cy * frame.septal
        )
    if len(centres) < 3:
        return frame.long_axis, frame.centre_mm
    ring = np.asarray(centres)
    middle = ring.mean(axis=0)
    axis = np.linalg.svd(ring - middle)[2][0]
    return (axis if axis @ frame.long_axis > 0 else -axis), middle


def _frame(image, smooth, points, centre, axis, anterior) -> LVFrame:
    if anterior is None:
        ventral = np.array([0.0, -1.0, 0.0])
        ventral = ventral - (ventral @ axis) * axis
        if np.linalg.norm(ventral) < 0.2:  # axis along y: fall back on the body's left
            ventral = np.array([1.0, 0.0, 0.0]) - axis[0] * axis
        ant = _unit(ventral, "anterior")
    else:
        ant = _unit(
            np.asarray(anterior, float) - (np.asarray(anterior, float) @ axis) * axis, "anterior"
        )
    septal = np.cross(axis, ant)
    if septal @ np.array([-1.0, 0.0, 0.0]) < 0:
        septal = -septal
    h = (points - centre) @ axis
    rim, apex = float(h.min()), float(h.max())
    base = rim + _BASE_TRIM * (apex - rim)  # the blurred basal rim is not a defect
    step = 0.25 * float(min(image.voxel_size_mm))
    heights = np.arange(0.0, apex + 2 * step, step)
    profile = _sample(image, smooth, centre + np.outer(heights, axis))
    top = int(np.argmax(profile))
    rise = np.flatnonzero(profile[: top + 1] < 0.5 * profile[top])
    cavity_end = float(heights[rise[-1]]) if rise.size else 0.5 * apex
    middle = 0.5 * (base + cavity_end)
    origin = centre + middle * axis
    return LVFrame(
        origin, axis, ant, septal, base - middle, apex - middle, cavity_end - middle, rim - middle
    )


def _sample(image: Image, volume: NDArray, world: NDArray) -> NDArray[np.float64]:
    index = image.grid.world_to_index(world.reshape(-1, 3))
    values = ndimage.map_coordinates(volume, index.T, order=1, mode="constant", cval=0.0)
    return values.reshape(world.shape[:-1])


@dataclass(frozen=True)
class PolarMap:
    """Polar-map samples and their 17-segment summary.

    Attributes
    ----------
    frame
        The LV frame used.
    alpha_deg, psi_deg
        Ray angles, shape ``(n_alpha,)`` and ``(n_psi,)``.
    values
        Maximum along each ray, ``(n_alpha, n_psi)``; NaN where the ray left the LV.
    points_mm
        Where each maximum lies (world mm), ``(n_alpha, n_psi, 3)``.
    weights
        Area weight of each sample (mm²), 0 where dropped.
    segments
        Segment (1–17) of each sample, 0 where dropped.
    unit
        Unit of the values.
    threshold
        Defect threshold (fraction of the maximum).
    """

    frame: LVFrame
    alpha_deg: NDArray[np.float64]
    psi_deg: NDArray[np.float64]
    values: NDArray[np.float64]
    points_mm: NDArray[np.float64]
    weights: NDArray[np.float64]
    segments: NDArray[np.int64]
    unit: str
    threshold: float

    @property
    def maximum(self) -> float:
        """Largest sample value."""
        return float(np.nanmax(np.where(self.weights > 0, self.values, np.nan)))

    def defect(self) -> NDArray[np.bool_]:
        """Samples below ``threshold`` × the maximum."""
        return (self.weights > 0) & (self.values < self.threshold * self.maximum)

    def defect_extent_percent(self) -> float:
        """Area share (%) of the LV below the threshold."""
        return float(100.0 * self.weights[self.defect()].sum() / self.weights.sum())

    def segment_table(self) -> list[dict[str, Any]]:
        """Per segment: id, name, mean, mean as % of the maximum, defect share (%)."""
        rows = []
        defect = self.defect()
        for segment in range(1, 18):
            chosen = self.segments == segment
            w = self.weights[chosen]
            if w.sum() <= 0:
                mean = share = float("nan")
            else:
                mean = float(np.dot(w, self.values[chosen]) / w.sum())
                share = float(100.0 * w[defect[chosen]].sum() / w.sum())
            rows.append(
                {
                    "id": segment,
                    "name": SEGMENT_NAMES[segment],
                    "mean": None if not np.isfinite(mean) else mean,
                    "percent_of_max": None
                    if not np.isfinite(mean)
                    else 100.0 * mean / self.maximum,
                    "defect_percent": None if not np.isfinite(share) else share,
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The ``positrix cardiac polar-map --json`` object."""
        rows = self.segment_table()
        return {
            "segments": rows,
            "unit": self.unit,
            "maximum": self.maximum,
            "threshold": self.threshold,
            "defect_extent_percent": self.defect_extent_percent(),
            "defect_segments": [
                r["id"]
                for r in rows
                if r["defect_percent"] is not None and r["defect_percent"] >= 50
            ],
            "lv": self.frame.to_dict(),
        }


def polar_map(
    image: Image,
    *,
    frame: LVFrame | None = None,
    threshold: float = 0.5,
    centre_mm: ArrayLike | None = None,
    long_axis: ArrayLike | None = None,
    anterior: ArrayLike | None = None,
) -> PolarMap:
    """The polar map of ``image`` (static, or the sum of a dynamic one; module docstring)."""
    if not 0 < threshold < 1:
        raise PositrixError(
            "the defect threshold is a fraction of the maximum between 0 and 1",
            field="--threshold",
            fix="e.g. --threshold 0.5",
        )
    if frame is None:
        frame = find_lv(image, centre_mm=centre_mm, long_axis=long_axis, anterior=anterior)
    static = _static(image)
    alpha, psi, values, where, keep = _rays(image, static, frame)
    r = np.linalg.norm(where - frame.centre_mm, axis=-1)
    height = (where - frame.centre_mm) @ frame.long_axis
    a = np.radians(alpha)[:, None]
    weights = np.where(keep, r**2 * np.sin(a) * np.radians(_D_ALPHA) * np.radians(_D_PSI), 0.0)
    segments = np.where(keep, _segments(height, np.broadcast_to(psi, height.shape), frame), 0)
    if weights.sum() <= 0:
        raise PositrixError("no heart found: the polar map is empty", field="IMAGE")
    return PolarMap(
        frame,
        alpha,
        psi,
        np.where(keep, values, np.nan),
        where,
        weights,
        segments,
        image.unit,
        threshold,
    )


def _rays(image: Image, volume: NDArray, frame: LVFrame) -> tuple[NDArray, ...]:
    """Ray angles, the maximum along each ray, where it lies, and which rays stay inside
    the LV (maximum not beyond the base plane)."""
    alpha = np.arange(_D_ALPHA / 2, 180.0, _D_ALPHA)
    psi = np.arange(0.0, 360.0, _D_PSI)
    step = 0.25 * float(min(image.voxel_size_mm))
    reach = 1.6 * max(frame.apex_mm, -frame.base_mm, 1.0)
    radii = np.arange(step, reach, step)
    a, p = np.radians(alpha)[:, None], np.radians(psi)[None, :]
    directions = (
        np.cos(a)[..., None] * frame.long_axis
        + (np.sin(a) * np.cos(p))[..., None] * frame.anterior
        + (np.sin(a) * np.sin(p))[..., None] * frame.septal
    )  # (n_alpha, n_psi, 3)
    points = frame.centre_mm + directions[:, :, None, :] * radii[None, None, :, None]
    profiles = _sample(image, volume, points)
    best = np.argmax(profiles, axis=-1)
    values = np.take_along_axis(profiles, best[..., None], -1)[..., 0]
    where = frame.centre_mm + directions * radii[best][..., None]
    keep = (where - frame.centre_mm) @ frame.long_axis >= frame.base_mm
    # from the apex outwards, stop at the first ring that is not whole: its rays leave
    # through the basal opening rather than cross the wall
    whole = keep.mean(axis=1) >= 0.9
    last = int(np.argmin(whole)) if not whole.all() else whole.size
    keep[last:] = False
    return alpha, psi, values, where, keep


def _segments(height: NDArray, psi: NDArray, frame: LVFrame) -> NDArray[np.int64]:
    """17-segment id of samples at ``height`` (mm from O along the axis) and azimuth."""
    third = (frame.cavity_end_mm - frame.base_mm) / 3.0
    level = np.clip(((height - frame.base_mm) // third).astype(int), 0, 2)
    sector6 = (np.mod(psi + 30.0, 360.0) // 60.0).astype(int)  # 0 anterior … 5 anterolateral
    sector4 = (np.mod(psi + 45.0, 360.0) // 90.0).astype(int)  # 0 anterior, 1 septal, …
    ids = np.where(level == 0, 1 + sector6, np.where(level == 1, 7 + sector6, 13 + sector4))
    return np.where(height > frame.cavity_end_mm, 17, ids).astype(np.int64)


def reorient(image: Image, frame: LVFrame, *, voxel_mm: float | None = None) -> Image:
    """The image on a short-axis grid (i towards the septum, j towards anterior, k from
    base to apex; ``voxel_mm`` default half the image's), centred on the cavity centre;
    every frame."""
    voxel = voxel_mm or 0.5 * float(min(image.voxel_size_mm))
    half = 1.4 * max(frame.apex_mm, -frame.base_mm)
    n = int(2 * np.ceil(half / voxel)) + 1
    axes = np.stack([frame.septal, frame.anterior, frame.long_axis], axis=1)  # columns
    affine = np.eye(4)
    affine[:3, :3] = axes * voxel
    affine[:3, 3] = frame.centre_mm - axes @ np.full(3, (n - 1) / 2 * voxel)
    grid = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    world = grid @ affine[:3, :3].T + affine[:3, 3]
    index = image.grid.world_to_index(world).T
    data = np.asarray(image.data, dtype=np.float64)
    frames = [data] if data.ndim == 3 else [data[..., f] for f in range(data.shape[3])]
    out = [
        ndimage.map_coordinates(f, index, order=1, mode="constant", cval=0.0).reshape(n, n, n)
        for f in frames
    ]
    volume = out[0] if data.ndim == 3 else np.stack(out, -1)
    return image.replace(
        data=volume.astype(np.float32),
        affine=affine,
        description=f"short axis of {image.description or 'image'}",
    )


def plot_polar_map(polar: PolarMap, path: str | Path) -> Path:
    """Save the bull's-eye (apex centre, base outside, anterior up, septum left) with the
    17 segment outlines and numbers and a colour bar in the image's unit (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.4, 5.0))
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_zero_location("N")  # type: ignore[attr-defined]
    ax.set_theta_direction(1)  # type: ignore[attr-defined]  # anterior up, septum (ψ = 90°) to the left
    rows = polar.weights.sum(axis=1) > 0
    alpha = polar.alpha_deg[rows]
    values = polar.values[rows]
    theta = np.radians(np.append(polar.psi_deg, 360.0)) - np.radians(_D_PSI / 2)
    edges = np.append(alpha - _D_ALPHA / 2, alpha[-1] + _D_ALPHA / 2)
    mesh = ax.pcolormesh(theta, edges, values, cmap="jet", shading="flat")
    ring = _ring_radii(polar, alpha)
    for r in ring:
        ax.plot(np.linspace(0, 2 * np.pi, 200), np.full(200, r), color="k", lw=0.8)
    sectors = ((ring[1], ring[2], 13, 4), (ring[2], ring[3], 7, 6), (ring[3], ring[4], 1, 6))
    for start, stop, first, count in sectors:
        offset = 180.0 / count
        for k in range(count):
            spoke = np.radians(offset + k * 360.0 / count)
            ax.plot([spoke, spoke], [start, stop], color="k", lw=0.8)
            centre = np.radians(k * 360.0 / count)
            ax.text(
                centre,
                (start + stop) / 2,
                str(first + k),
                ha="center",
                va="center",
                fontsize=9,
                weight="bold",
            )
    ax.text(0, 0, "17", ha="center", va="center", fontsize=9, weight="bold")
    ax.set_yticklabels([])
    ax.set_xticks(np.radians([0, 90, 180, 270]))
    ax.set_xticklabels(["anterior", "septal", "inferior", "lateral"])
    ax.tick_params(axis="x", pad=8)
    fig.colorbar(mesh, ax=ax, label=f"maximum along the ray ({polar.unit})", shrink=0.8, pad=0.1)
    ax.set_title(
        f"polar map: defect {polar.defect_extent_percent():.1f} % of the LV "
        f"(< {polar.threshold:.0%} of max)",
        fontsize=9,
    )
    fig.subplots_adjust(left=0.12, right=0.88)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _ring_radii(polar: PolarMap, alpha: NDArray) -> list[float]:
    """Polar angles (plot radii) of the borders: apex cap, apical/mid, mid/basal, base."""
    borders = []
    for segment in (17, 13, 7, 1):
        rows = np.flatnonzero((polar.segments == segment).any(axis=1))
        borders.append(float(polar.alpha_deg[rows].max() + _D_ALPHA / 2) if rows.size else 0.0)
    return [0.0, borders[0], borders[1], borders[2], float(alpha[-1] + _D_ALPHA / 2)]


@dataclass(frozen=True)
class GatedVolumes:
    """LV cavity volume per gate and the ejection fraction."""

    volumes_ml: tuple[float, ...]

    @property
    def edv_ml(self) -> float:
        """End-diastolic volume (the largest)."""
        return max(self.volumes_ml)

    @property
    def esv_ml(self) -> float:
        """End-systolic volume (the smallest)."""
        return min(self.volumes_ml)

    @property
    def ejection_fraction_percent(self) -> float:
        """``(EDV − ESV)/EDV × 100``."""
        return 100.0 * (self.edv_ml - self.esv_ml) / self.edv_ml

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (µL and %)."""
        return {
            "volumes_ul": [round(1000.0 * v, 2) for v in self.volumes_ml],
            "edv_ul": round(1000.0 * self.edv_ml, 2),
            "esv_ul": round(1000.0 * self.esv_ml, 2),
            "ejection_fraction_percent": round(self.ejection_fraction_percent, 2),
        }


def gated_volumes(gated: Image, *, frame: LVFrame | None = None) -> GatedVolumes:
    """Cavity volume of every gate of a gated image (gates along the 4th axis).

    The LV frame comes from the sum of the gates; in each gate, every ray's endocardial
    edge is where its profile from the cavity centre crosses half-way between the cavity
    and the wall's maximum (linear interpolation), and rays that leave through the base
    stop at the basal end of the myocardium; the volume is
    ``Σ r³/3 · sin α · Δα · Δψ``.
    """
    data = np.asarray(gated.data, dtype=np.float64)
    if data.ndim != 4 or data.shape[3] < 2:
        raise PositrixError(
            "gated volumes need a gated image (two or more gates on the 4th axis)",
            field="IMAGE",
            fix="give the gated reconstruction (one volume per cardiac gate)",
        )
    summed = gated.replace(data=data.mean(axis=-1), frames=None)
    frame = frame or find_lv(summed)
    volumes = []
    for g in range(data.shape[3]):
        volumes.append(_cavity_volume(gated.replace(data=data[..., g], frames=None), frame))
    return GatedVolumes(tuple(volumes))


def _cavity_volume(image: Image, frame: LVFrame) -> float:
    volume = np.nan_to_num(np.asarray(image.data, dtype=np.float64))
    alpha = np.radians(np.arange(_D_ALPHA / 2, 180.0, _D_ALPHA))[:, None]
    psi = np.radians(np.arange(0.0, 360.0, _D_PSI))[None, :]
    step = 0.25 * float(min(image.voxel_size_mm))
    radii = np.arange(0.0, 1.6 * max(frame.apex_mm, -frame.base_mm, 1.0), step)
    directions = (
        np.cos(alpha)[..., None] * frame.long_axis
        + (np.sin(alpha) * np.cos(psi))[..., None] * frame.anterior
        + (np.sin(alpha) * np.sin(psi))[..., None] * frame.septal
    )
    profiles = _sample(image, volume, frame.centre_mm + directions[:, :, None, :] * radii[:, None])
    peak = np.argmax(profiles, axis=-1)
    top = np.take_along_axis(profiles, peak[..., None], -1)
    level = 0.5 * (top + profiles[..., :1])  # half-way from the cavity to the wall
    below = (profiles < level) & (np.arange(radii.size) < peak[..., None])
    # last sample below half the maximum before the peak, then interpolate to the crossing
    last = np.where(below.any(-1), radii.size - 1 - np.argmax(below[..., ::-1], -1), 0)
    nxt = np.minimum(last + 1, radii.size - 1)
    v0 = np.take_along_axis(profiles, last[..., None], -1)[..., 0]
    v1 = np.take_along_axis(profiles, nxt[..., None], -1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.clip((level[..., 0] - v0) / (v1 - v0), 0.0, 1.0)
    edge = radii[last] + np.nan_to_num(fraction) * step
    wall = below.any(-1) & (top[..., 0] >= 2.0 * profiles[..., 0])
    edge = np.where(wall, edge, np.inf)  # no wall on the ray: open to the base
    cos_a = np.cos(alpha) * np.ones_like(psi)
    with np.errstate(divide="ignore"):
        to_base = np.where(cos_a < 0, frame.rim_mm / cos_a, np.inf)
    edge = np.minimum(edge, to_base)
    edge = np.where(np.isfinite(edge), edge, radii[-1])
    weight = np.sin(alpha) * np.radians(_D_ALPHA) * np.radians(_D_PSI)
    return float(np.sum(edge**3 / 3.0 * weight) / 1000.0)
