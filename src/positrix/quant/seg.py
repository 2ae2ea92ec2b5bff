"""DICOM SEG (segmentation objects) through highdicom: labels ↔ binary segments.

Reading needs nothing but the SEG file: its plane positions and orientation give the grid.
Writing needs the DICOM series the labels were drawn on (a SEG references its source
images) and a label image on that series' grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from positrix.errors import FileFormatError, PositrixError
from positrix.image.grid import Grid
from positrix.io.dicom.sniff import is_dicom_file
from positrix.quant.label_image import LabelImage

__all__ = ["is_seg", "read_seg", "write_seg"]

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"


def is_seg(path: Path) -> bool:
    """Whether ``path`` is a DICOM Segmentation Storage file."""
    if not path.is_file() or not is_dicom_file(path):
        return False
    from pydicom import dcmread

    return str(dcmread(path, stop_before_pixels=True).get("SOPClassUID", "")) == SEG_SOP_CLASS


def read_seg(path: str | Path, *, grid: Grid | None = None) -> LabelImage:
    """Labels from a binary or fractional DICOM SEG (segment number → label number).

    Parameters
    ----------
    path
        The SEG file.
    grid
        The grid to place the segments on (e.g. the PET's); by default a grid spanning the
        SEG's own frames (a SEG stores only the slices that hold a segment).
    """
    from pydicom import dcmread

    path = Path(path)
    try:
        ds = dcmread(path)
        frames = np.asarray(ds.pixel_array).reshape(-1, int(ds.Rows), int(ds.Columns))
        shared = ds.SharedFunctionalGroupsSequence[0]
        orientation = np.asarray(
            shared.PlaneOrientationSequence[0].ImageOrientationPatient, dtype=float
        )
        measures = shared.PixelMeasuresSequence[0]
        spacing = np.asarray(measures.PixelSpacing, dtype=float)
        per_frame = ds.PerFrameFunctionalGroupsSequence

        def group(item: Any, name: str) -> Any:
            # per-frame value, else the shared one (highdicom moves one-segment values there)
            return (item.get(name) or shared.get(name))[0]

        positions = np.array(
            [
                np.asarray(group(f, "PlanePositionSequence").ImagePositionPatient, float)
                for f in per_frame
            ]
        )
        segments = [
            int(group(f, "SegmentIdentificationSequence").ReferencedSegmentNumber)
            for f in per_frame
        ]
        names = {int(d.SegmentNumber): str(d.SegmentLabel) for d in ds.SegmentSequence}
    except (AttributeError, IndexError, ValueError, KeyError, TypeError) as err:
        raise FileFormatError(
            f"not a readable segmentation ({err})",
            source=path,
            fix="export a SEG with plane positions per frame, or NIfTI + .tsv",
        ) from None
    row_dir, col_dir = orientation[:3], orientation[3:]
    normal = np.cross(row_dir, col_dir)
    if grid is None:
        depth = positions @ normal
        thickness = float(
            measures.get("SpacingBetweenSlices") or measures.get("SliceThickness") or 1.0
        )
        n_slices = round((depth.max() - depth.min()) / thickness) + 1
        affine = np.eye(4)
        affine[:3, 0], affine[:3, 1] = row_dir * spacing[1], col_dir * spacing[0]
        affine[:3, 2] = normal * thickness
        affine[:3, 3] = positions[int(np.argmin(depth))]
        grid = Grid((int(ds.Columns), int(ds.Rows), n_slices), affine)
    labels = np.zeros(grid.shape, dtype=np.int32)
    for pixels, position, segment in zip(frames, positions, segments, strict=True):
        k = grid.world_to_index(position)
        if not np.allclose(k[:2], 0, atol=0.05) or abs(k[2] - round(k[2])) > 0.05:
            raise FileFormatError(
                "a SEG frame does not lie on a slice of the target grid",
                source=path,
                field="ImagePositionPatient",
                fix="give the grid of the series it was drawn on",
            )
        slab = pixels.T > 0  # (columns, rows) = (i, j)
        labels[:, :, round(k[2])][slab] = segment
    return LabelImage(labels, grid, names)


def write_seg(labels: LabelImage, source_series: str | Path, path: str | Path) -> Path:
    """Write ``labels`` as a DICOM SEG that references the series in ``source_series``."""
    import highdicom as hd
    from pydicom import dcmread
    from pydicom.sr.codedict import codes

    from positrix.io.dicom import read_dicom

    source_series, path = Path(source_series), Path(path)
    if path.exists():
        from positrix.errors import OverwriteError

        raise OverwriteError("the output file already exists", source=path, fix="choose another")
    image = read_dicom(source_series)
    if image.grid != labels.grid:
        raise PositrixError(
            "the labels are not on the grid of the source series",
            field="labels",
            fix="transfer the VOIs to the series' grid first (positrix.quant.labels)",
        )
    files = sorted(p for p in source_series.iterdir() if is_dicom_file(p))
    datasets = [dcmread(p) for p in files]
    first_frame = [
        d for d in datasets if int(d.get("ImageIndex", 1) or 1) <= image.spatial_shape[2]
    ]
    # order the source images by position along the slice normal, as the labels' k axis
    normal = np.cross(
        *np.reshape(np.asarray(first_frame[0].ImageOrientationPatient, float), (2, 3))
    )
    first_frame.sort(key=lambda d: float(np.dot(np.asarray(d.ImagePositionPatient, float), normal)))
    mask = np.transpose(labels.labels, (2, 1, 0))  # (slices, rows, columns)
    descriptions = []
    for number, name in sorted(labels.names.items()):
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=name,
                segmented_property_category=codes.SCT.Tissue,
                segmented_property_type=codes.SCT.Tissue,
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
            )
        )
    # labels must be numbered 1..n for a labelmap-free binary SEG: remap
    remapped = np.zeros_like(mask, dtype=np.uint8)
    for new, old in enumerate(sorted(labels.names), start=1):
        remapped[mask == old] = new
    for new, description in enumerate(descriptions, start=1):
        description.SegmentNumber = new
    seg = hd.seg.Segmentation(
        source_images=first_frame,
        pixel_array=remapped,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=99,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="Positrix",
        manufacturer_model_name="positrix",
        software_versions="positrix",
        device_serial_number="0",
    )
    seg.save_as(path)
    return path
