"""Study protocols: what ``positrix process`` does to a study, declared in TOML::

[input]
pet = "dicom/pet"                 # relative to the study folder
ct = "dicom/ct"                   # optional

[vois]
labels = "quant/labels.nii.gz"    # a label image (NIfTI + .tsv, or DICOM SEG)
# threshold = 0.4                 # or: voxels ≥ 40 % of the last frame's maximum

[tables]
units = ["SUVbw", "%ID/g"]

[kinetics]                        # optional
model = "patlak"
input_region = "heart"            # image-derived input
regions = ["tumour", "liver"]
tstar_min = 5.0

[report]
unit = "SUVbw"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from positrix.errors import FileFormatError
from positrix.io.toml_file import read_toml

__all__ = ["Protocol", "load_protocol"]

_SECTIONS = {
    "input": {"pet", "ct"},
    "vois": {"labels", "threshold"},
    "tables": {"units"},
    "kinetics": {"model", "input_region", "regions", "tstar_min"},
    "report": {"unit"},
}


@dataclass(frozen=True)
class Protocol:
    """A parsed protocol (see the module docstring); ``raw`` is the TOML as read."""

    pet: str
    ct: str | None = None
    labels: str | None = None
    threshold: float | None = None
    units: tuple[str, ...] = ("SUVbw",)
    kinetics: dict[str, Any] | None = None
    report_unit: str = "SUVbw"
    raw: dict[str, Any] = field(default_factory=dict)


def load_protocol(path: str | Path) -> Protocol:
    """Read and check a protocol file; a bad key or value names the section and the fix."""
    path = Path(path)
    data = read_toml(path)
    for section, keys in data.items():
        if section not in _SECTIONS:
            raise FileFormatError(
                f"unknown section [{section}]",
                source=path,
                field=section,
                fix="sections: " + ", ".join(_SECTIONS),
            )
        unknown = set(keys) - _SECTIONS[section]
        if unknown:
            raise FileFormatError(
                f"unknown key '{sorted(unknown)[0]}' in [{section}]",
                source=path,
                field=section,
                fix="keys: " + ", ".join(sorted(_SECTIONS[section])),
            )
    if "pet" not in data.get("input", {}):
        raise FileFormatError(
            "no [input] pet",
            source=path,
            field="input",
            fix='give pet = "path/to/pet" relative to the study',
        )
    vois = data.get("vois", {})
    if "labels" in vois and "threshold" in vois:
        raise FileFormatError(
            "[vois] gives both labels and threshold", source=path, field="vois", fix="choose one"
        )
    threshold = vois.get("threshold")
    if threshold is not None and not 0 < float(threshold) < 1:
        raise FileFormatError(
            f"threshold {threshold} is not a fraction",
            source=path,
            field="vois",
            fix="give 0 < threshold < 1",
        )
    kinetics = data.get("kinetics")
    if kinetics is not None and kinetics.get("model", "patlak") != "patlak":
        raise FileFormatError(
            f"model '{kinetics.get('model')}' is not available in protocols",
            source=path,
            field="kinetics",
            fix='use model = "patlak"',
        )
    return Protocol(
        pet=str(data["input"]["pet"]),
        ct=data["input"].get("ct"),
        labels=vois.get("labels"),
        threshold=float(threshold) if threshold is not None else None,
        units=tuple(data.get("tables", {}).get("units", ["SUVbw"])),
        kinetics=dict(kinetics) if kinetics is not None else None,
        report_unit=str(data.get("report", {}).get("unit", "SUVbw")),
        raw=data,
    )
