"""I/O speed of the demo PET (40 × 35 × 105 voxels × 9 frames, 945 DICOM files).

Baselines, measured in the same run:
- DICOM: a bare pydicom loop (read every file, rescale, stack), which does no frame
  splitting, sorting or validation;
- NIfTI: nibabel loading the same file, without the sidecar.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
from pydicom import dcmread

from positrix.io import load, save
from positrix.simulation.demo_mouse import demo_mouse_study


def best_of(function: Callable[[], object], repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls, in s."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_pydicom(folder: Path) -> np.ndarray:
    slices = []
    for path in sorted(folder.iterdir()):
        ds = dcmread(path)
        slices.append(ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept))
    return np.stack(slices)


def main() -> None:
    pet = demo_mouse_study().pet
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t_write_dicom = best_of(lambda: save(pet, folder / "dcm", overwrite=True), 1)
        t_write_nifti = best_of(lambda: save(pet, folder / "p.nii", overwrite=True), 1)
        t_read_dicom = best_of(lambda: load(folder / "dcm"))
        t_bare = best_of(lambda: bare_pydicom(folder / "dcm"))
        t_read_nifti = best_of(lambda: load(folder / "p.nii"))
        t_nibabel = best_of(lambda: nib.load(folder / "p.nii").get_fdata(dtype=np.float32))
    n_files = pet.spatial_shape[2] * pet.n_frames
    print(f"demo PET {pet.data.shape}, {n_files} DICOM files")
    print(f"write DICOM  {t_write_dicom:7.3f} s   ({n_files / t_write_dicom:7.0f} files/s)")
    print(f"write NIfTI  {t_write_nifti:7.3f} s")
    print(
        f"read DICOM   {t_read_dicom:7.3f} s   bare pydicom loop {t_bare:7.3f} s   "
        f"ratio {t_read_dicom / t_bare:5.2f}"
    )
    print(
        f"read NIfTI   {t_read_nifti:7.3f} s   nibabel alone     {t_nibabel:7.3f} s   "
        f"ratio {t_read_nifti / t_nibabel:5.2f}"
    )


if __name__ == "__main__":
    main()
