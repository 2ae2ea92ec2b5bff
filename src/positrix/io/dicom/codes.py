"""Coded values written into and read from DICOM.

Codes were checked against the DICOM context groups as distributed with pydicom
(``_concepts_dict.py``, DICOM 2024c) and DCMTK (``cid4020.cc``/``cid4021.cc``, DICOM 2025e).
"""

from __future__ import annotations

__all__ = [
    "DICOM_TO_UNIT",
    "GANTRY_RELATIONSHIP_CODES",
    "ORIENTATION_CODES",
    "ORIENTATION_MODIFIER_CODES",
    "RADIONUCLIDE_CODES",
    "RADIOPHARMACEUTICAL_CODES",
    "SPECIES_CODES",
    "UNIT_TO_DICOM",
]

Code = tuple[str, str, str]  # (code value, coding scheme designator, code meaning)

#: Nuclide name → code, DICOM CID 4020 "PET Radionuclide".
RADIONUCLIDE_CODES: dict[str, Code] = {
    "F-18": ("77004003", "SCT", "^18^Fluorine"),
    "C-11": ("40565003", "SCT", "^11^Carbon"),
    "N-13": ("21576001", "SCT", "^13^Nitrogen"),
    "O-15": ("129504001", "SCT", "^15^Oxygen"),
    "Ga-68": ("35337001", "SCT", "^68^Gallium"),
    "Cu-64": ("3932008", "SCT", "^64^Copper"),
    "Zr-89": ("63360001", "SCT", "^89^Zirconium"),
    "Rb-82": ("79197006", "SCT", "^82^Rubidium"),
    "I-124": ("40937006", "SCT", "^124^Iodine"),
    "Sc-44": ("126600", "DCM", "^44^Scandium"),
    "Y-86": ("10738001", "SCT", "^86^Yttrium"),
    "Ge-68": ("53315004", "SCT", "^68^Germanium"),
    "Na-22": ("71633006", "SCT", "^22^Sodium"),
}

#: Tracer name (upper case) → code, DICOM CID 4021 "PET Radiopharmaceutical".
RADIOPHARMACEUTICAL_CODES: dict[str, Code] = {
    "FDG": ("35321007", "SCT", "Fluorodeoxyglucose F^18^"),
    "NAF": ("129501009", "SCT", "Sodium fluoride F^18^"),
    "PSMA-11": ("C118961", "NCIt", "PSMA-11 Ga^68^"),
    "DOTATATE": ("724025002", "SCT", "Dotatate Ga^68^"),
    "FLT": ("764937002", "SCT", "Fluorothymidine F^18^"),
    "CHOLINE": ("126703", "DCM", "Choline C^11^"),
    "RACLOPRIDE": ("129512009", "SCT", "Raclopride C^11^"),
}

#: CID 19 Patient Orientation.
ORIENTATION_CODES: dict[str, Code] = {"recumbent": ("102538003", "SCT", "recumbent")}

#: CID 20 Patient Orientation Modifier.
ORIENTATION_MODIFIER_CODES: dict[str, Code] = {
    "prone": ("1240000", "SCT", "prone"),
    "supine": ("40199007", "SCT", "supine"),
}

#: CID 21 Patient Equipment Relationship.
GANTRY_RELATIONSHIP_CODES: dict[str, Code] = {
    "headfirst": ("102540008", "SCT", "headfirst"),
    "feet-first": ("102541007", "SCT", "feet-first"),
}

#: CID 7454 Animal Taxonomic Rank Values.
SPECIES_CODES: dict[str, Code] = {
    "Mus musculus": ("447612001", "SCT", "Mus musculus"),
    "Rattus norvegicus": ("371565004", "SCT", "Rattus norvegicus"),
}

#: Positrix unit → DICOM Units (0054,1001) for PET.
UNIT_TO_DICOM: dict[str, str] = {
    "Bq/mL": "BQML",
    "counts": "CNTS",
    "SUVbw": "GML",
    "1/cm": "1CM",
    "counts/s": "CPS",
}

#: DICOM Units (0054,1001) → Positrix unit.
DICOM_TO_UNIT: dict[str, str] = {value: key for key, value in UNIT_TO_DICOM.items()}
