"""Layer 2: the ``Image`` and what moves its voxels without losing geometry or timing."""

from positrix.image.crop import crop
from positrix.image.dynamic import decay_correct, frame, select_frames, sum_frames
from positrix.image.frames import FrameTable
from positrix.image.grid import Grid, affine_from_spacing
from positrix.image.image import Image
from positrix.image.orient import reorient
from positrix.image.projection import maximum_intensity_projection
from positrix.image.requirements import injected_activity_bq, subject_weight_g
from positrix.image.resample import resample_to
from positrix.image.subject import Subject
from positrix.image.summary import summarize
from positrix.physics.injection import Injection

__all__ = [
    "FrameTable",
    "Grid",
    "Image",
    "Injection",
    "Subject",
    "affine_from_spacing",
    "crop",
    "decay_correct",
    "frame",
    "injected_activity_bq",
    "maximum_intensity_projection",
    "reorient",
    "resample_to",
    "select_frames",
    "subject_weight_g",
    "sum_frames",
    "summarize",
]
