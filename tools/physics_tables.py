"""Regenerate the physics tables shipped in ``src/positrix/data`` from a local copy of the
nucl-parquet data repository (https://github.com/exoma-ch/nucl-parquet, MIT; the numbers
are NIST SRD 124 PSTAR, the IAEA medical-isotope recommended cross sections and TENDL-2025,
each named per row).  Needs ``pyarrow``; not part of the package or of the tests.

Run: ``python tools/physics_tables.py NUCL_PARQUET_DIR``
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

#: PSTAR material numbers → our names (elements by symbol; water liquid = NIST 276).
PSTAR = {
    1: "H",
    2: "He",
    6: "C",
    7: "N",
    8: "O",
    13: "Al",
    22: "Ti",
    26: "Fe",
    29: "Cu",
    32: "Ge",
    42: "Mo",
    47: "Ag",
    50: "Sn",
    74: "W",
    79: "Au",
    82: "Pb",
    276: "water",
}

#: (element file, target mass number, product Z, product A, product name), per library.
CHANNELS = [
    ("O", 18, 9, 18, "F-18"),
    ("O", 16, 7, 13, "N-13"),
    ("O", 17, 9, 17, "F-17"),
    ("N", 14, 6, 11, "C-11"),
    ("N", 14, 8, 14, "O-14"),
    ("Zn", 68, 31, 68, "Ga-68"),
    ("Zn", 68, 31, 67, "Ga-67"),
    ("Zn", 67, 31, 67, "Ga-67"),
    ("Zn", 66, 31, 66, "Ga-66"),
    ("Zn", 67, 31, 66, "Ga-66"),
    ("Zn", 70, 31, 70, "Ga-70"),
    ("Ni", 64, 29, 64, "Cu-64"),
    ("Ni", 64, 29, 63, "Cu-63"),
    ("Ni", 61, 29, 61, "Cu-61"),
    ("Ni", 62, 29, 61, "Cu-61"),
    ("Ni", 60, 29, 60, "Cu-60"),
    ("Ni", 58, 27, 55, "Co-55"),
    ("Y", 89, 40, 89, "Zr-89"),
    ("Y", 89, 40, 88, "Zr-88"),
    ("Y", 89, 39, 88, "Y-88"),
    ("Te", 124, 53, 124, "I-124"),
    ("Te", 124, 53, 123, "I-123"),
    ("Te", 123, 53, 123, "I-123"),
    ("Te", 125, 53, 125, "I-125"),
    ("Te", 125, 53, 124, "I-124"),
    ("Te", 126, 53, 126, "I-126"),
    ("Ca", 44, 21, 44, "Sc-44"),
    ("Ca", 44, 21, 43, "Sc-43"),
    ("Ca", 43, 21, 43, "Sc-43"),
    ("Ca", 42, 21, 42, "Sc-42"),
    ("Ca", 48, 21, 48, "Sc-48"),
]
LIBRARIES = [("iaea-medical", "IAEA medical (recommended)"), ("tendl-2025", "TENDL-2025")]

#: Nuclides whose ENSDF decay radiations are shipped: name → (Z, A, isomer).
EMITTERS = {
    "F-18": (9, 18, False),
    "C-11": (6, 11, False),
    "N-13": (7, 13, False),
    "O-15": (8, 15, False),
    "Ga-68": (31, 68, False),
    "Cu-64": (29, 64, False),
    "Zr-89": (40, 89, False),
    "Rb-82": (37, 82, False),
    "I-124": (53, 124, False),
    "Sc-44": (21, 44, False),
    "Y-86": (39, 86, False),
    "Tb-152": (65, 152, False),
    "Ge-68": (32, 68, False),
    "Na-22": (11, 22, False),
    "Sr-82": (38, 82, False),
    "Lu-177": (71, 177, False),
    "Y-90": (39, 90, False),
    "I-131": (53, 131, False),
    "Mo-99": (42, 99, False),
    "Tc-99m": (43, 99, True),
    "Ac-225": (89, 225, False),
    "Fr-221": (87, 221, False),
    "At-217": (85, 217, False),
    "Bi-213": (83, 213, False),
    "Po-213": (84, 213, False),
    "Tl-209": (81, 209, False),
    "Pb-209": (82, 209, False),
}
_SYMBOLS = {
    9: "F",
    6: "C",
    7: "N",
    8: "O",
    31: "Ga",
    29: "Cu",
    40: "Zr",
    37: "Rb",
    53: "I",
    21: "Sc",
    39: "Y",
    65: "Tb",
    32: "Ge",
    11: "Na",
    38: "Sr",
    71: "Lu",
    42: "Mo",
    43: "Tc",
    89: "Ac",
    87: "Fr",
    85: "At",
    83: "Bi",
    84: "Po",
    81: "Tl",
    82: "Pb",
}
#: Photon lines below this intensity (per 100 decays) are left out of the table.
MIN_PHOTON_PERCENT = 0.1


def _rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist() if path.exists() else []


def stopping(root: Path, out: Path) -> None:
    """PSTAR electronic mass stopping powers, 1 keV to 500 MeV."""
    rows = [r for r in _rows(root / "stopping" / "stopping.parquet") if r["source"] == "PSTAR"]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["material", "energy_MeV", "electronic_MeV_cm2_per_g"])
        for number, name in PSTAR.items():
            table = sorted((r["energy_MeV"], r["dedx"]) for r in rows if r["target_Z"] == number)
            for energy, dedx in table:
                if 0.001 <= energy <= 500.0:
                    writer.writerow([name, f"{energy:.6g}", f"{dedx:.6g}"])


def cross_sections(root: Path, out: Path) -> None:
    """σ(E) per channel from the first library that has it (IAEA medical, then TENDL)."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["target", "product", "library", "energy_MeV", "sigma_mb"])
        for element, mass, z, a, product in CHANNELS:
            for folder, library in LIBRARIES:
                rows = _rows(root / folder / "xs" / f"p_{element}.parquet")
                table = sorted(
                    (r["energy_MeV"], r["xs_mb"])
                    for r in rows
                    if (r["target_A"], r["residual_Z"], r["residual_A"], r["state"])
                    == (mass, z, a, "")
                )
                if not table:
                    continue
                step = max(1, math.ceil(len(table) / 300))
                keep = table[::step] + ([table[-1]] if (len(table) - 1) % step else [])
                for energy, sigma in keep:
                    writer.writerow(
                        [f"{element}-{mass}", product, library, f"{energy:.6g}", f"{sigma:.6g}"]
                    )
                break


def _radiation(row: dict) -> str:
    kind, sub = row["rad_type"], row["rad_subtype"]
    if kind == "beta+/EC":
        return "beta+"
    if kind == "gamma":
        return "annihilation" if sub.startswith("Annihil") else "gamma"
    return {"xray": "x-ray"}.get(kind, kind)


def emissions(root: Path, out: Path) -> None:
    """ENSDF decay radiations per nuclide: every α and β branch, photons ≥ 0.1 %, and the
    conversion and Auger electrons summed into one line each (energy-weighted mean)."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["nuclide", "radiation", "energy_keV", "end_point_keV", "intensity_percent"]
        )
        for name, (z, a, isomer) in EMITTERS.items():
            rows = [
                r
                for r in _rows(root / "meta" / "ensdf" / "radiation" / f"{_SYMBOLS[z]}.parquet")
                if r["A"] == a and (r["parent_level_keV"] > 0) == isomer
            ]
            if not rows:
                raise SystemExit(f"no ENSDF radiation rows for {name}")
            summed: dict[str, list[float]] = {}
            for row in rows:
                kind, intensity = _radiation(row), row["intensity_pct"] or 0.0
                if kind in ("ce", "auger"):
                    total = summed.setdefault(kind, [0.0, 0.0])
                    total[0] += intensity
                    total[1] += intensity * row["energy_keV"]
                    continue
                if kind in ("gamma", "x-ray") and intensity < MIN_PHOTON_PERCENT:
                    continue
                end = row["end_point_keV"]
                writer.writerow(
                    [
                        name,
                        kind,
                        f"{row['energy_keV']:.6g}",
                        "" if end is None else f"{end:.6g}",
                        f"{intensity:.6g}",
                    ]
                )
            for kind, (intensity, energy) in summed.items():
                if intensity > 0:
                    writer.writerow(
                        [name, kind, f"{energy / intensity:.6g}", "", f"{intensity:.6g}"]
                    )


def main() -> None:
    """Write both tables into ``src/positrix/data``."""
    root = Path(sys.argv[1])
    data = Path(__file__).resolve().parents[1] / "src" / "positrix" / "data"
    stopping(root, data / "stopping_pstar.csv")
    cross_sections(root, data / "cross_sections.csv")
    emissions(root, data / "emissions.csv")


if __name__ == "__main__":
    main()
