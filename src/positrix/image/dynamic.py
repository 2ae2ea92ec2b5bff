"""Frames of a dynamic image: selection, summation and decay correction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from positrix.errors import MissingFieldError, PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.physics.nuclides import Nuclide
from positrix.physics.units import as_aware

__all__ = [
    "checked_frame",
    "concatenate_frames",
    "decay_correct",
    "frame",
    "select_frames",
    "sum_frames",
]


def _frames(image: Image) -> FrameTable:
    if image.frames is None:
        raise MissingFieldError(
            "the image has no frame timing", field="frames", fix="load it from a file with timing"
        )
    return image.frames


def _nuclide(image: Image) -> Nuclide:
    if image.injection is None or image.injection.nuclide is None:
        raise MissingFieldError(
            "decay handling needs the nuclide and the image does not record it",
            field="injection.nuclide",
            fix="set the nuclide (e.g. image.replace(injection=Injection(nuclide=...)))",
        )
    return image.injection.nuclide


def _as_4d(image: Image) -> NDArray[np.floating]:
    return image.data if image.is_dynamic else image.data[..., np.newaxis]


def checked_frame(image: Image, index: int, *, field: str = "--frame") -> int:
    """``index`` as a frame number ``0 … n − 1`` (negative counts from the end), or a clear
    error naming ``field``.

    Examples
    --------
    >>> img = Image(np.zeros((2, 2, 2, 3)), np.eye(4), unit="Bq/mL",
    ...             frames=FrameTable([0.0, 1.0, 2.0], [1.0, 1.0, 1.0]))
    >>> checked_frame(img, -1)
    2
    """
    n = image.n_frames
    if not -n <= index < n:
        raise PositrixError(
            f"frame {index} does not exist: the image has {n}",
            source=image.metadata.get("source_path"),
            field=field,
            fix=f"give 0 … {n - 1} (or -1, the last)",
        )
    return index % n


def select_frames(image: Image, indices: Sequence[int]) -> Image:
    """A dynamic image with only the given frames (increasing order), always 4-D."""
    idx = np.arange(image.n_frames)[np.asarray(indices, dtype=np.intp)]
    return image.replace(data=_as_4d(image)[..., idx], frames=_frames(image).select(idx))


def frame(image: Image, index: int) -> Image:
    """One frame as a 3-D image with a one-frame table."""
    one = select_frames(image, [index])
    return one.replace(data=one.data[..., 0])


def _frame_weights(image: Image, frames: FrameTable) -> NDArray[np.float64]:
    """Weights proportional to the counts each frame's value stands for."""
    if image.decay_reference is None:
        return frames.duration_s
    factors = frames.decay_correction_factors(_nuclide(image), reference=image.decay_reference)
    return frames.duration_s / factors


def sum_frames(
    image: Image, indices: Sequence[int] | None = None, *, allow_gaps: bool = False
) -> Image:
    """Combine frames into one, as if they had been acquired as a single frame.

    Without decay correction the result is the duration-weighted mean.  With decay
    correction to ``t_r`` each frame is first turned back into counts
    (``value · Δ / DCF``), summed, and corrected again with the decay factor of the
    combined frame, so a static source keeps its value exactly:
    ``C = Σ C_i Δ_i / DCF_i / Σ Δ_i / DCF_i``.

    Parameters
    ----------
    image
        A dynamic (or one-frame) image with a frame table.
    indices
        Frames to combine (default: all).
    allow_gaps
        Combine frames with time gaps between them; the result's frame then spans from the
        first start to the last end.

    Returns
    -------
    Image
        A 3-D image with a one-frame table.
    """
    frames = _frames(image)
    idx = np.arange(frames.n_frames) if indices is None else np.asarray(indices, dtype=np.intp)
    chosen = frames.select(idx)
    gaps = chosen.start_s[1:] - chosen.end_s[:-1]
    if np.any(gaps > 1e-3) and not allow_gaps:
        raise PositrixError(
            "the frames to sum are not contiguous in time",
            field="frames",
            fix="pass allow_gaps=True to sum them anyway",
        )
    weights = _frame_weights(image, chosen)
    if not weights.sum() > 0:
        raise PositrixError(
            "the frames to sum have no duration",
            field="frame duration",
            fix="record the frame durations in the file",
        )
    data = np.tensordot(_as_4d(image)[..., idx].astype(np.float64), weights, axes=([3], [0]))
    data /= weights.sum()
    start = float(chosen.start_s[0])
    combined = FrameTable([start], [float(chosen.end_s[-1]) - start], frames.acquisition_start)
    return image.replace(data=data.astype(image.data.dtype), frames=combined)


def decay_correct(image: Image, *, to: datetime | None) -> Image:
    """Change the decay correction of an image.

    Parameters
    ----------
    image
        The image; its ``decay_reference`` says how it is corrected now.
    to
        New reference date-time, or ``None`` to undo decay correction (values become the
        mean activity over each frame).

    Returns
    -------
    Image
        Values decay-corrected to ``to`` (a copy; the input is unchanged).
    """
    to = as_aware(to) if to is not None else None
    if to == image.decay_reference:
        return image
    frames = _frames(image)
    nuclide = _nuclide(image)
    if image.decay_reference is None:
        assert to is not None
        factors = frames.decay_correction_factors(nuclide, reference=to)
    elif to is None:
        factors = 1.0 / frames.decay_correction_factors(nuclide, reference=image.decay_reference)
    else:
        elapsed = (to - image.decay_reference).total_seconds()
        factors = np.full(frames.n_frames, np.exp(-nuclide.decay_constant_per_s * elapsed))
    data = image.data.astype(np.float64) * (factors if image.is_dynamic else factors[0])
    return image.replace(data=data.astype(image.data.dtype), decay_reference=to)


def concatenate_frames(images: Sequence[Image]) -> Image:
    """One dynamic image from single- or multi-frame images of one scan, in time order.

    The images must share grid, unit, decay reference and acquisition start (their frame
    times are relative to it), and their frames must not overlap.  Metadata come from the
    first image.

    Raises
    ------
    PositrixError
        Naming what differs (grid, unit, decay reference, start) or the overlapping frames.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> one = Image(np.ones((2, 2, 2)), np.eye(4), unit="Bq/mL",
    ...             frames=FrameTable([0.0], [60.0], t0), decay_reference=t0)
    >>> two = one.replace(frames=FrameTable([60.0], [60.0], t0))
    >>> concatenate_frames([two, one]).frames.start_s.tolist()
    [0.0, 60.0]
    """
    if not images:
        raise PositrixError("no images to merge", field="images", fix="give two or more")
    first = images[0]
    for other in images[1:]:
        _same_scan(first, other)
    order = sorted(range(len(images)), key=lambda i: float(_frames(images[i]).start_s[0]))
    starts = np.concatenate([_frames(images[i]).start_s for i in order])
    durations = np.concatenate([_frames(images[i]).duration_s for i in order])
    if np.any(starts[1:] < starts[:-1] + durations[:-1] - 1e-6):
        raise PositrixError(
            "the frames overlap in time", field="frames", fix="give frames of one scan, once each"
        )
    data = np.concatenate([_as_4d(images[i]) for i in order], axis=-1)
    table = FrameTable(starts, durations, _frames(first).acquisition_start)
    return first.replace(data=data, frames=table)


def _same_scan(a: Image, b: Image) -> None:
    source = b.metadata.get("source_path")
    checks = (
        ("grid", a.spatial_shape == b.spatial_shape and np.allclose(a.affine, b.affine)),
        ("unit", a.unit == b.unit),
        ("decay_reference", a.decay_reference == b.decay_reference),
        ("acquisition_start", _frames(a).acquisition_start == _frames(b).acquisition_start),
    )
    for name, same in checks:
        if not same:
            raise PositrixError(
                f"the images differ in {name}, so they are not frames of one scan",
                source=source,
                field=name,
                fix="merge frames of one acquisition (resample or decay-correct them first)",
            )
