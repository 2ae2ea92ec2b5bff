"""Voxel-wise group comparison in template space: two-sample t-map, FDR and cluster size.

- Student's two-sample t with pooled variance at every voxel of the mask
  (``df = n₁ + n₂ − 2``), two-sided p from the t distribution (scipy);
- Benjamini–Hochberg false discovery rate over the mask's voxels (``q``, default 0.05):
  the largest ``p₍ₖ₎ ≤ k·q/m`` is the voxel threshold;
- clusters of supra-threshold voxels (26-connected, same sign), those smaller than
  ``min_cluster_mm3`` dropped; each cluster reports its volume, peak t, peak position
  (mm) and the atlas regions it overlaps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage, stats

from positrix.errors import PositrixError
from positrix.image.image import Image

__all__ = ["Cluster", "GroupMap", "compare_voxels", "fdr_threshold"]


def fdr_threshold(p_values: ArrayLike, q: float = 0.05) -> float:
    """Benjamini–Hochberg p threshold (0 when nothing survives).

    Examples
    --------
    >>> fdr_threshold([0.001, 0.01, 0.03, 0.5], q=0.05)
    0.03
    """
    p = np.sort(np.asarray(p_values, dtype=np.float64).ravel())
    if not 0 < q < 1:
        raise PositrixError("the FDR level must be between 0 and 1", field="--q")
    m = p.size
    passed = np.flatnonzero(p <= q * np.arange(1, m + 1) / m)
    return float(p[passed[-1]]) if passed.size else 0.0


@dataclass(frozen=True)
class Cluster:
    """A cluster of significant voxels."""

    sign: int
    volume_mm3: float
    n_voxels: int
    peak_t: float
    peak_mm: tuple[float, float, float]
    regions: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``regions`` maps region → share of the cluster's voxels."""
        return {
            "sign": "increase" if self.sign > 0 else "decrease",
            "volume_mm3": round(self.volume_mm3, 3),
            "n_voxels": self.n_voxels,
            "peak_t": round(self.peak_t, 3),
            "peak_mm": [round(v, 2) for v in self.peak_mm],
            "regions": {k: round(v, 3) for k, v in self.regions.items()},
        }


@dataclass(frozen=True, eq=False)
class GroupMap:
    """A two-sample comparison (group A − group B)."""

    t: Image
    p: Image
    significant: NDArray[np.bool_]
    p_threshold: float
    t_threshold: float
    clusters: tuple[Cluster, ...]
    n_a: int
    n_b: int
    q: float
    min_cluster_mm3: float
    smooth_fwhm_mm: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The ``positrix neuro group-compare --json`` object."""
        return {
            "n_a": self.n_a,
            "n_b": self.n_b,
            "df": self.n_a + self.n_b - 2,
            "fdr_q": self.q,
            "p_threshold": self.p_threshold,
            "t_threshold": None if not np.isfinite(self.t_threshold) else self.t_threshold,
            "min_cluster_mm3": self.min_cluster_mm3,
            "smooth_fwhm_mm": self.smooth_fwhm_mm,
            "clusters": [c.to_dict() for c in self.clusters],
        }


def _stack(images: Sequence[Image], name: str) -> NDArray[np.float64]:
    if len(images) < 2:
        raise PositrixError(f"group {name} needs at least 2 images", field=f"--{name}")
    grid = images[0].grid
    for image in images[1:]:
        if image.grid != grid:
            raise PositrixError(
                f"the images of group {name} are not on one grid",
                field=f"--{name}",
                fix="normalise every image to the same template first",
            )
    return np.stack([np.asarray(i.data, dtype=np.float64) for i in images])


def compare_voxels(
    group_a: Sequence[Image],
    group_b: Sequence[Image],
    *,
    mask: NDArray[np.bool_],
    q: float = 0.05,
    min_cluster_mm3: float = 1.0,
    smooth_fwhm_mm: float = 0.0,
    labels: NDArray[np.integer] | None = None,
    label_names: Mapping[int, str] | None = None,
) -> GroupMap:
    """Voxel-wise ``A − B`` (module docstring) inside ``mask`` on the images' common grid,
    after a Gaussian smoothing of ``smooth_fwhm_mm`` (mask-normalised: values outside the
    mask do not bleed in)."""
    a, b = _stack(group_a, "a"), _stack(group_b, "b")
    if smooth_fwhm_mm > 0:
        spacing = np.asarray(group_a[0].voxel_size_mm)
        a = _smooth(a, mask, spacing, smooth_fwhm_mm)
        b = _smooth(b, mask, spacing, smooth_fwhm_mm)
    if a.shape[1:] != b.shape[1:] or group_a[0].grid != group_b[0].grid:
        raise PositrixError("the two groups are on different grids", field="--b")
    if mask.shape != a.shape[1:] or not mask.any():
        raise PositrixError("the mask is empty or not on the images' grid", field="mask")
    n_a, n_b = a.shape[0], b.shape[0]
    df = n_a + n_b - 2
    xa, xb = a[:, mask], b[:, mask]
    pooled = ((n_a - 1) * xa.var(0, ddof=1) + (n_b - 1) * xb.var(0, ddof=1)) / df
    with np.errstate(divide="ignore", invalid="ignore"):
        t_in = (xa.mean(0) - xb.mean(0)) / np.sqrt(pooled * (1.0 / n_a + 1.0 / n_b))
    t_in = np.nan_to_num(t_in, nan=0.0)
    p_in = 2.0 * stats.t.sf(np.abs(t_in), df)
    threshold = fdr_threshold(p_in, q)
    t_threshold = float(stats.t.isf(threshold / 2.0, df)) if threshold > 0 else float("inf")
    t_map = np.zeros(mask.shape)
    p_map = np.ones(mask.shape)
    t_map[mask], p_map[mask] = t_in, p_in
    significant = mask & (p_map <= threshold) if threshold > 0 else np.zeros_like(mask)
    reference = group_a[0]
    clusters, kept = _clusters(t_map, significant, reference, min_cluster_mm3, labels, label_names)
    unit_t = reference.replace(data=t_map.astype(np.float32), unit="t", frames=None)
    unit_p = reference.replace(data=p_map.astype(np.float32), unit="p", frames=None)
    return GroupMap(
        unit_t,
        unit_p,
        kept,
        threshold,
        t_threshold,
        tuple(clusters),
        n_a,
        n_b,
        q,
        min_cluster_mm3,
        smooth_fwhm_mm,
    )


def _smooth(
    stack: NDArray[np.float64], mask: NDArray[np.bool_], spacing: NDArray, fwhm_mm: float
) -> NDArray[np.float64]:
    sigma = fwhm_mm / np.sqrt(8.0 * np.log(2.0)) / spacing
    weight = ndimage.gaussian_filter(mask.astype(np.float64), sigma)
    out = np.empty_like(stack)
    for n, volume in enumerate(stack):
        blurred = ndimage.gaussian_filter(np.where(mask, volume, 0.0), sigma)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[n] = np.where(mask, blurred / weight, 0.0)
    return out


def _clusters(t_map, significant, reference, min_mm3, labels, names):
    voxel_mm3 = reference.voxel_volume_ml * 1000.0
    structure = np.ones((3, 3, 3), dtype=bool)
    out, kept = [], np.zeros_like(significant)
    for sign in (1, -1):
        found, n = ndimage.label(significant & (np.sign(t_map) == sign), structure)
        for number in range(1, n + 1):
            members = found == number
            size = int(members.sum())
            if size * voxel_mm3 < min_mm3:
                continue
            kept |= members
            values = np.where(members, np.abs(t_map), -np.inf)
            peak = np.unravel_index(int(np.argmax(values)), t_map.shape)
            world = (
                reference.affine[:3, :3] @ np.asarray(peak, dtype=float) + reference.affine[:3, 3]
            )
            regions: dict[str, float] = {}
            if labels is not None:
                inside, counts = np.unique(labels[members], return_counts=True)
                for value, count in zip(inside, counts, strict=True):
                    name = (names or {}).get(int(value), "outside" if value == 0 else str(value))
                    regions[name] = count / size
            out.append(
                Cluster(sign, size * voxel_mm3, size, float(t_map[peak]), tuple(world), regions)
            )
    out.sort(key=lambda c: -c.volume_mm3)
    return out, kept


def plot_t_map(group: GroupMap, template: Image, path: Any, *, slices: int = 6) -> Any:
    """Save transaxial slices of the thresholded t-map over the template (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.asarray(group.t.data)
    shown = np.where(group.significant, t, np.nan)
    back = np.asarray(template.data)
    planes = np.flatnonzero(group.significant.any(axis=(0, 1)))
    if planes.size == 0:
        planes = np.arange(back.shape[2])
    chosen = np.linspace(planes.min(), planes.max(), slices).round().astype(int)
    limit = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
    fig, axes = plt.subplots(1, slices, figsize=(2.2 * slices, 3.0))
    z0, dz = template.affine[2, 3], template.affine[2, 2]
    image = None
    for ax, k in zip(np.atleast_1d(axes), chosen, strict=True):
        ax.imshow(back[:, :, k].T, cmap="gray", origin="lower")
        image = ax.imshow(shown[:, :, k].T, cmap="bwr", vmin=-limit, vmax=limit, origin="lower")
        ax.set_title(f"z = {z0 + dz * k:.1f} mm", fontsize=8)
        ax.axis("off")
    if image is not None:
        fig.colorbar(image, ax=list(np.atleast_1d(axes)), label="t (A − B)", shrink=0.8)
    fig.suptitle(
        f"t-map, FDR q = {group.q} (|t| ≥ {group.t_threshold:.2f}), clusters ≥ "
        f"{group.min_cluster_mm3:g} mm³",
        fontsize=9,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
