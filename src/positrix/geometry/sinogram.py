"""3D sinogram layout of a ring scanner: radial bins × views × planes, span and michelogram.

Transaxially, a ring of ``N`` crystals gives ``N/2`` views; view ``v`` holds the crystal pairs
whose index sum is ``2v`` or ``2v + 1`` (mod ``N``), interleaved radially, so that every
transaxial bin ``(view, radial)`` is exactly one crystal pair ``(a, b)``.  The radial index
``t = N/2 − |a − b|`` (sign flipped when ``a + b ≥ N``) runs over ``n_radial`` bins centred
on the scanner axis.  Axially, ring pairs are grouped into segments of ``span`` ring
differences (``d = ring_b − ring_a``, segment ``k`` holds ``|d − k·span| ≤ (span − 1)/2``),
up to the maximum ring difference; within a segment, a plane holds the ring pairs with one
ring sum ``ring_a + ring_b`` (its mean axial position).  Span 1 keeps every ring pair.

Data layout: ``(n_planes, n_views, n_radial)`` float arrays, segments stored in the order
``0, −1, +1, −2, +2, …`` (:attr:`SinogramLayout.segments`), planes by increasing z within each.
Crystal indices are counted from the middle of block 0 for binning
(:attr:`SinogramLayout.crystal_offset`) so that view 0 lies near angle 0.
The LOR used to model a bin joins crystal ``a`` and ``b`` at the mean axial positions of the
plane's ring pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry

__all__ = [
    "SinogramLayout",
    "histogram_events",
    "lor_angle_offset",
    "ssrb",
    "ssrb_plane_z_mm",
]


@dataclass(frozen=True)
class SinogramLayout:
    """Sinogram binning of a :class:`ScannerGeometry`.

    Parameters
    ----------
    scanner
        The scanner.
    n_radial
        Radial bins (default: ``crystals_per_ring`` · 2/5, i.e. 128 for the Inveon).
    span
        Axial compression (odd, ≥ 1).
    max_ring_difference
        Largest ``|ring_b − ring_a|`` kept (default: all, ``n_rings − 1``).
    """

    scanner: ScannerGeometry
    n_radial: int = 0
    span: int = 3
    max_ring_difference: int = -1

    def __post_init__(self) -> None:
        n = self.scanner.crystals_per_ring
        if self.n_radial == 0:
            object.__setattr__(self, "n_radial", round(n * 0.4 / 2) * 2)
        if self.max_ring_difference < 0:
            object.__setattr__(self, "max_ring_difference", self.scanner.n_rings - 1)
        if not 2 <= self.n_radial < n // 2 or n % 2:
            raise PositrixError(
                f"n_radial {self.n_radial} must lie in 2 … {n // 2 - 1} (an even ring of {n})",
                field="n_radial",
            )
        if self.span < 1 or self.span % 2 == 0:
            raise PositrixError(f"span {self.span} must be odd and ≥ 1", field="span")
        if not 0 <= self.max_ring_difference < self.scanner.n_rings:
            raise PositrixError(
                f"maximum ring difference {self.max_ring_difference} must lie in 0 … "
                f"{self.scanner.n_rings - 1}",
                field="max_ring_difference",
            )

    # ---- transaxial -------------------------------------------------------------------
    @property
    def n_views(self) -> int:
        """Views (angles over 180°)."""
        return self.scanner.crystals_per_ring // 2

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_planes, n_views, n_radial)``."""
        return (self.n_planes, self.n_views, self.n_radial)

    @property
    def crystal_offset(self) -> int:
        """Crystal index that counts as 0 for binning (the middle of block 0), so that view
        angles start near 0."""
        return self.scanner.crystals_per_block // 2

    @cached_property
    def bin_crystals(self) -> NDArray[np.int64]:
        """Crystal pair ``(a, b)`` of each transaxial bin, shape ``(n_views, n_radial, 2)``."""
        n = self.scanner.crystals_per_ring
        view = np.arange(self.n_views)[:, None]
        t = np.arange(self.n_radial)[None, :] - self.n_radial // 2
        half_difference = n // 2 - np.abs(t)
        # a + b has the parity of a − b (= half_difference); n/2 may be odd
        total = 2 * view + (half_difference % 2) + np.where(t < 0, n, 0)
        shift = self.crystal_offset
        a = ((total + half_difference) // 2 + shift) % n
        b = ((total - half_difference) // 2 + shift) % n
        return np.stack(np.broadcast_arrays(a, b), axis=-1)

    def transaxial_bin(
        self, crystal_1: NDArray[np.integer], crystal_2: NDArray[np.integer]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
        """View, radial index, in-FOV flag and "pair swapped" flag of crystal pairs.

        ``swapped`` is true where ``crystal_1`` is the bin's crystal ``b``.
        """
        n = self.scanner.crystals_per_ring
        c1 = np.asarray(crystal_1, dtype=np.int64)
        c2 = np.asarray(crystal_2, dtype=np.int64)
        s1, s2 = (c1 - self.crystal_offset) % n, (c2 - self.crystal_offset) % n
        raw = s1 + s2
        t = n // 2 - np.abs(s1 - s2)
        flip = raw >= n
        t = np.where(flip, -t, t)
        view = np.where(flip, raw - n, raw) // 2
        radial = t + self.n_radial // 2
        inside = (radial >= 0) & (radial < self.n_radial) & (c1 != c2)
        radial_c = np.clip(radial, 0, self.n_radial - 1)
        a = self.bin_crystals[view, radial_c, 0]
        swapped = inside & (a != c1)
        return view, radial_c, inside, swapped

    # ---- axial ------------------------------------------------------------------------
    @cached_property
    def segments(self) -> tuple[tuple[int, int], ...]:
        """``(min, max)`` ring difference of each segment, in storage order."""
        half = (self.span - 1) // 2
        out = [(-min(half, self.max_ring_difference), min(half, self.max_ring_difference))]
        k = 1
        while k * self.span - half <= self.max_ring_difference:
            low, high = k * self.span - half, min(k * self.span + half, self.max_ring_difference)
            out += [(-high, -low), (low, high)]
            k += 1
        return tuple(out)

    @cached_property
    def plane_of_rings(self) -> NDArray[np.int64]:
        """Plane index of each ring pair ``[ring_a, ring_b]`` (−1 outside the michelogram)."""
        n_rings = self.scanner.n_rings
        ring_a, ring_b = np.meshgrid(np.arange(n_rings), np.arange(n_rings), indexing="ij")
        difference, total = ring_b - ring_a, ring_a + ring_b
        table = np.full((n_rings, n_rings), -1, dtype=np.int64)
        offset = 0
        for low, high in self.segments:
            member = (difference >= low) & (difference <= high)
            sums = np.unique(total[member])
            table[member] = offset + np.searchsorted(sums, total[member])
            offset += sums.size
        return table

    @cached_property
    def segment_planes(self) -> NDArray[np.int64]:
        """First plane of each segment and the total, shape ``(n_segments + 1,)``."""
        counts = [0]
        table = self.plane_of_rings
        n_rings = self.scanner.n_rings
        ring_a, ring_b = np.meshgrid(np.arange(n_rings), np.arange(n_rings), indexing="ij")
        for low, high in self.segments:
            member = (ring_b - ring_a >= low) & (ring_b - ring_a <= high)
            counts.append(int(np.unique(table[member]).size))
        return np.cumsum(counts)

    @property
    def n_planes(self) -> int:
        """Planes over all segments."""
        return int(self.segment_planes[-1])

    @cached_property
    def ring_pairs_per_plane(self) -> NDArray[np.int64]:
        """Ring pairs binned into each plane, shape ``(n_planes,)``."""
        table = self.plane_of_rings
        return np.bincount(table[table >= 0], minlength=self.n_planes)

    @cached_property
    def detector_pairs_per_plane(self) -> NDArray[np.int64]:
        """Pairs of rings that hold crystals (not the virtual rings of axial gaps) binned
        into each plane, shape ``(n_planes,)``."""
        table = self.plane_of_rings
        real = self.scanner.detector_rings()
        keep = (table >= 0) & real[:, None] & real[None, :]
        return np.bincount(table[keep], minlength=self.n_planes)

    @cached_property
    def plane_z_mm(self) -> NDArray[np.float64]:
        """Mean axial position of crystal ``a`` and ``b`` per plane, shape ``(n_planes, 2)``."""
        z = self.scanner.ring_z_mm()
        table = self.plane_of_rings
        inside = table >= 0
        ring_a, ring_b = np.nonzero(inside)
        planes = table[inside]
        count = self.ring_pairs_per_plane
        za = np.bincount(planes, weights=z[ring_a], minlength=self.n_planes) / count
        zb = np.bincount(planes, weights=z[ring_b], minlength=self.n_planes) / count
        return np.stack([za, zb], axis=1)

    @cached_property
    def bin_xy_mm(self) -> NDArray[np.float64]:
        """x, y of crystals ``a`` and ``b`` of each transaxial bin, ``(n_views, n_radial, 4)``."""
        xy = self.scanner.transaxial_positions_mm()
        pairs = self.bin_crystals
        return np.concatenate([xy[pairs[..., 0]], xy[pairs[..., 1]]], axis=-1)

    def radial_mm(self) -> NDArray[np.float64]:
        """Mean signed distance of each radial bin's LOR from the axis (mm), ``(n_radial,)``."""
        xy = self.bin_xy_mm
        p, q = xy[..., :2], xy[..., 2:]
        direction = q - p
        normal = np.stack([direction[..., 1], -direction[..., 0]], axis=-1)
        normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
        distance = np.abs(np.sum(p * normal, axis=-1))
        sign = np.sign(np.arange(self.n_radial) - self.n_radial // 2 + 0.5)
        return sign * distance.mean(axis=0)

    def view_angles_rad(self) -> NDArray[np.float64]:
        """Angle of each view's LOR normal (rad), in ``[0, π)``."""
        n = self.scanner.crystals_per_ring
        # crystal c sits at 2π (c − offset + δ)/n with δ = offset − (crystals_per_block − 1)/2
        delta = self.crystal_offset - (self.scanner.crystals_per_block - 1) / 2
        return np.pi * (2 * np.arange(self.n_views) + 0.5 + 2 * delta) / n

    def check(self, sinogram: ArrayLike, *, what: str = "sinogram") -> NDArray[np.float32]:
        """``sinogram`` as float32 after checking its shape against this layout."""
        array = np.asarray(sinogram, dtype=np.float32)
        if array.shape != self.shape:
            raise PositrixError(
                f"{what} has shape {array.shape}, the layout needs {self.shape} "
                f"(planes × views × radial bins for span {self.span}, maximum ring difference "
                f"{self.max_ring_difference})",
                field=what,
                fix="bin the data with the same scanner, span and maximum ring difference",
            )
        return array

    def bin_index(
        self,
        ring_1: ArrayLike,
        crystal_1: ArrayLike,
        ring_2: ArrayLike,
        crystal_2: ArrayLike,
    ) -> NDArray[np.int64]:
        """Flat sinogram index of each crystal-pair event (−1 where outside the layout)."""
        r1, r2 = np.asarray(ring_1, np.int64), np.asarray(ring_2, np.int64)
        c1, c2 = np.asarray(crystal_1, np.int64), np.asarray(crystal_2, np.int64)
        self._check_ids(r1, c1, r2, c2)
        view, radial, inside, swapped = self.transaxial_bin(c1, c2)
        ring_a = np.where(swapped, r2, r1)
        ring_b = np.where(swapped, r1, r2)
        plane = self.plane_of_rings[ring_a, ring_b]
        valid = inside & (plane >= 0)
        flat = (plane * self.n_views + view) * self.n_radial + radial
        return np.where(valid, flat, -1)

    def _check_ids(self, *ids: NDArray[np.int64]) -> None:
        limits = (self.scanner.n_rings, self.scanner.crystals_per_ring) * 2
        names = ("ring_1", "crystal_1", "ring_2", "crystal_2")
        for values, limit, name in zip(ids, limits, names, strict=True):
            if values.size and (values.min() < 0 or values.max() >= limit):
                raise PositrixError(
                    f"{name} outside 0 … {limit - 1} for scanner '{self.scanner.name}'",
                    field=name,
                    fix="check that the events come from this scanner",
                )


def histogram_events(
    layout: SinogramLayout,
    ring_1: ArrayLike,
    crystal_1: ArrayLike,
    ring_2: ArrayLike,
    crystal_2: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> NDArray[np.float32]:
    """Sinogram of crystal-pair events (counts; ``weights`` e.g. −1 for delayed events).

    Events outside the radial field of view or the maximum ring difference are dropped.
    """
    flat = layout.bin_index(ring_1, crystal_1, ring_2, crystal_2)
    keep = flat >= 0
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    size = int(np.prod(layout.shape))
    counts = np.bincount(flat[keep], weights=w, minlength=size)
    return counts.astype(np.float32).reshape(layout.shape)


def lor_angle_offset(
    start_mm: ArrayLike, end_mm: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Transaxial sinogram coordinates of lines through two points each (x, y first;
    ``(n, ≥ 2)`` mm): the angle ``φ`` of the line's normal in ``[0, π)`` (rad) and the
    signed distance ``s = x·cos φ + y·sin φ`` of the line from the axis (mm)."""
    p = np.asarray(start_mm, dtype=np.float64)[:, :2]
    d = np.asarray(end_mm, dtype=np.float64)[:, :2] - p
    phi = np.arctan2(d[:, 1], d[:, 0]) + np.pi / 2.0
    s = p[:, 0] * np.cos(phi) + p[:, 1] * np.sin(phi)
    phi = np.mod(phi, 2.0 * np.pi)
    flip = phi >= np.pi
    phi[flip] -= np.pi
    s[flip] = -s[flip]
    return phi, s


def ssrb_plane_z_mm(scanner: ScannerGeometry) -> NDArray[np.float64]:
    """Axial positions (mm) of the ``2·n_rings − 1`` planes :func:`ssrb` rebins into."""
    steps = np.arange(2 * scanner.n_rings - 1, dtype=np.float64) - (scanner.n_rings - 1)
    return steps * (float(scanner.axial_pitch_mm) / 2.0)


def ssrb(
    layout: SinogramLayout, sinogram: ArrayLike, *, average: bool = True
) -> NDArray[np.float32]:
    """Single-slice rebinning to ``2·n_rings − 1`` direct planes (half a ring apart).

    Each oblique plane is added to the direct plane at its mean axial position.  With
    ``average`` the sum is divided by the number of ring pairs gathered into each plane, so
    that the result is a per-LOR line integral, ready for 2D reconstruction.

    Returns
    -------
    ndarray
        ``(2·n_rings − 1, n_views, n_radial)``.
    """
    data = layout.check(sinogram)
    n_rings = layout.scanner.n_rings
    z = layout.plane_z_mm.mean(axis=1)
    target = np.rint(z / (layout.scanner.axial_pitch_mm / 2) + (n_rings - 1)).astype(np.int64)
    out = np.zeros((2 * n_rings - 1, layout.n_views, layout.n_radial), dtype=np.float64)
    for plane, direct in enumerate(target):
        out[direct] += data[plane]
    if average:
        real = layout.detector_pairs_per_plane  # the virtual rings of axial gaps have no LORs
        pairs = np.bincount(target, weights=real, minlength=out.shape[0])
        out /= np.maximum(pairs, 1)[:, None, None]
    return out.astype(np.float32)
