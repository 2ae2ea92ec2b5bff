"""VOIs from short text specifications (the command line's ``--voi``).

- ``sphere:x,y,z,r`` — centre and radius in mm (world LPS);
- ``ellipsoid:x,y,z,a,b,c`` — centre and semi-axes along x, y, z;
- ``box:x,y,z,sx,sy,sz`` — centre and edge lengths;
- ``cylinder:x,y,z,r,length`` — axis along z;
- a path to a label image (NIfTI + ``.tsv``, DICOM SEG): one VOI per label, moved onto the
  image's grid with partial-voxel weights when the grids differ.
An optional ``name=`` prefix names a shape: ``tumour=sphere:1,2,3,4``.
"""

from __future__ import annotations

from pathlib import Path

from positrix.errors import PositrixError
from positrix.image.grid import Grid
from positrix.quant.labels import load_labels, transfer_voi
from positrix.quant.voi import VOI, box, cylinder, ellipsoid, sphere

__all__ = ["parse_voi"]

_SHAPES = {"sphere": 4, "ellipsoid": 6, "box": 6, "cylinder": 5}


def _shape(kind: str, numbers: list[float], grid: Grid, name: str) -> VOI:
    c = numbers[:3]
    if kind == "sphere":
        return sphere(grid, c, numbers[3], name=name)
    if kind == "ellipsoid":
        return ellipsoid(grid, c, numbers[3:6], name=name)
    if kind == "box":
        return box(grid, c, numbers[3:6], name=name)
    return cylinder(grid, c, numbers[3], numbers[4], name=name)


def parse_voi(spec: str, grid: Grid) -> list[VOI]:
    """VOIs on ``grid`` from one specification (see the module docstring)."""
    name, _, rest = spec.partition("=") if "=" in spec.split(":")[0] else ("", "", spec)
    kind, colon, args = rest.partition(":")
    if colon and kind in _SHAPES:
        try:
            numbers = [float(x) for x in args.split(",")]
        except ValueError:
            numbers = []
        if len(numbers) != _SHAPES[kind]:
            raise PositrixError(
                f"'{spec}' needs {_SHAPES[kind]} numbers after '{kind}:'",
                field="--voi",
                fix="e.g. sphere:x,y,z,r  ellipsoid:x,y,z,a,b,c  box:x,y,z,sx,sy,sz  "
                "cylinder:x,y,z,r,length (mm)",
            )
        voi = _shape(kind, numbers, grid, name or kind)
        if voi.n_voxels == 0:
            raise PositrixError(f"'{spec}' lies outside the image", field="--voi")
        return [voi]
    path = Path(spec)
    if not path.exists():
        raise PositrixError(
            f"'{spec}' is neither a shape nor an existing label file",
            field="--voi",
            fix="give sphere:x,y,z,r (mm) or a label image such as labels.nii.gz",
        )
    labels = load_labels(path)
    vois = labels.vois()
    if labels.grid != grid:
        vois = [transfer_voi(v, grid) for v in vois]
    return vois
