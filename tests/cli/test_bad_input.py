"""Deliberately bad input through every reading command: exit status 2, one line naming the
file or field and the fix, no traceback, and no file changed.

Each case builds its inputs in a fresh folder (truncated and corrupt files of every format,
wrong metadata, nonsense options and units), runs the command in-process and compares a
checksum of every file before and after.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest

from positrix.cli.main import main
from positrix.io import save
from tests.conftest import make_pet

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """Good inputs, made once: a small PET as DICOM and NIfTI, labels, tables, events."""
    folder = tmp_path_factory.mktemp("good")
    pet = make_pet()
    save(pet, folder / "pet")
    save(pet, folder / "pet.nii.gz")
    labels = np.zeros(pet.spatial_shape, np.float32)
    labels[2:6, 2:5, 1:4] = 1
    save(pet.replace(data=labels, unit="label", frames=None, decay_reference=None),
         folder / "labels.nii.gz")  # fmt: skip
    names = ["tacs.csv", "input.csv", "mini.toml", "cylinder_events.npz", "biodist.csv"]
    names += ["lesion_baseline.json", "sensitivity_events.npz", "sensitivity_steps.csv"]
    for name in names:
        shutil.copy(EXAMPLES / name, folder / name)
    return folder


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---- ways of breaking a good input (each works on a copy in the case's folder) -----------


def truncate(name: str, keep: float) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return apply


def garbage(name: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / name).write_bytes(np.random.default_rng(0).bytes(4000))

    return apply


def write(name: str, text: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return apply


def sidecar(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "pet.json"
        side = json.loads(path.read_text())
        change(side)
        path.write_text(json.dumps(side))

    return apply


def dicom(change: Callable[[pydicom.Dataset], None], *, only_first: bool = False):
    def apply(folder: Path) -> None:
        files = sorted((folder / "pet").iterdir())
        for path in files[:1] if only_first else files:
            ds = pydicom.dcmread(path)
            change(ds)
            ds.save_as(path)

    return apply


def first_dicom_truncated(folder: Path) -> None:
    path = sorted((folder / "pet").iterdir())[0]
    path.write_bytes(path.read_bytes()[:400])


def zero_pixdim(folder: Path) -> None:
    """Voxel sizes 0 and qform/sform codes 0, written byte by byte (nibabel would fix them)."""
    import gzip
    import struct

    path = folder / "pet.nii.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[80:92] = struct.pack("<3f", 0.0, 0.0, 0.0)  # pixdim[1:4]
    raw[252:256] = struct.pack("<2h", 0, 0)  # qform_code, sform_code
    path.write_bytes(gzip.compress(bytes(raw)))


def toml(key: str, value: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "mini.toml"
        lines = [
            f"{key} = {value}" if line.startswith(f"{key} ") else line
            for line in path.read_text().splitlines()
        ]
        path.write_text("\n".join(lines) + "\n")

    return apply


def touch(name: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / name).write_text("keep me")

    return apply


def remove_radiopharmaceutical(ds: pydicom.Dataset) -> None:
    del ds.RadiopharmaceuticalInformationSequence


STATS = ["stats", "pet", "--voi", "labels.nii.gz"]
EDIT = ["edit", "pet.nii.gz", "-o", "e.nii.gz"]
_T = "2026-05-01T09:20:00+00:00"  # before make_pet's injection (09:28) and scan (09:30)
FIT = ["kinetics", "fit", "--tac", "tacs.csv", "--input", "input.csv"]
RECON = ["recon", "cylinder_events.npz", "--scanner", "mini.toml", "-o", "r.nii.gz"]
SENS = ["nema", "sensitivity", "sensitivity_events.npz", "--steps", "sensitivity_steps.csv"]

#: (id, break the inputs, argv, text the one error line must contain)
CASES: list[tuple[str, Callable[[Path], None] | None, list[str], list[str]]] = [
    # truncated and corrupt files of every format
    ("dicom-file-truncated", first_dicom_truncated, ["info", "pet"], ["PT_", "PixelData"]),
    ("dicom-one-garbage", garbage("pet/PT_0001_0001.dcm"), ["info", "pet"], ["slices", "PT_0001"]),
    ("nifti-truncated", truncate("pet.nii.gz", 0.5), ["info", "pet.nii.gz"], ["pet.nii.gz"]),
    ("nifti-garbage", garbage("pet.nii.gz"), ["info", "pet.nii.gz"], ["pet.nii.gz"]),
    ("sidecar-not-json", write("pet.json", "{oops"), ["info", "pet.nii.gz"], ["pet.json"]),
    ("npz-truncated", truncate("cylinder_events.npz", 0.3), RECON, ["cylinder_events.npz"]),
    ("npz-garbage", garbage("cylinder_events.npz"), RECON, ["cylinder_events.npz"]),
    (
        "events-truncated-nema",
        truncate("sensitivity_events.npz", 0.5),
        [*SENS, "--activity", "1MBq"],
        ["sensitivity_events.npz"],
    ),
    ("tac-table-empty", write("tacs.csv", ""), [*FIT, "--model", "1tcm"], ["tacs.csv"]),
    (
        "tac-table-text",
        write("tacs.csv", "frame_start_s,frame_duration_s,a\n0,x,1\n"),
        [*FIT, "--model", "1tcm"],
        ["tacs.csv", "frame_duration_s"],
    ),
    (
        "tac-table-no-frames",
        write("tacs.csv", "a,b\n1,2\n"),
        [*FIT, "--model", "1tcm"],
        ["tacs.csv", "frame_start_s"],
    ),
    (
        "input-negative",
        write("input.csv", "time_s,plasma\n0,0\n60,-5\n3600,1\n"),
        [*FIT, "--model", "patlak", "--tstar-min", "10"],
        ["input.csv", "plasma"],
    ),
    (
        "input-no-plasma",
        write("input.csv", "time_s,blood\n0,0\n60,5\n"),
        [*FIT, "--model", "1tcm"],
        ["input.csv", "plasma"],
    ),
    ("toml-syntax", write("mini.toml", "n_rings = [\n"), RECON, ["mini.toml"]),
    ("toml-wrong-type", toml("n_rings", '"sixteen"'), RECON, ["mini.toml", "n_rings"]),
    ("toml-negative", toml("n_rings", "-4"), RECON, ["mini.toml", "n_rings"]),
    (
        "biodist-empty",
        write("biodist.csv", ""),
        ["biodist", "biodist.csv", "--nuclide", "F-18"],
        ["biodist.csv"],
    ),
    (
        "lesion-json-truncated",
        truncate("lesion_baseline.json", 0.5),
        ["response", "lesion_baseline.json", "lesion_baseline.json"],
        ["lesion_baseline.json"],
    ),
    # wrong metadata
    (
        "dicom-no-rescale-slope",
        dicom(lambda ds: delattr(ds, "RescaleSlope")),
        ["stats", *STATS[1:]],
        ["RescaleSlope"],
    ),
    (
        "dicom-rescale-slope-0",
        dicom(lambda ds: setattr(ds, "RescaleSlope", 0), only_first=True),
        STATS,
        ["RescaleSlope"],
    ),
    (
        "dicom-no-radiopharmaceutical",
        dicom(remove_radiopharmaceutical),
        [*STATS, "--unit", "SUVbw"],
        ["Fix:"],
    ),
    (
        "sidecar-negative-dose",
        sidecar(lambda s: s.update(InjectedRadioactivity=-7.59)),
        ["info", "pet.nii.gz"],
        ["pet.json", "InjectedRadioactivity"],
    ),
    (
        "sidecar-unknown-nuclide",
        sidecar(lambda s: s.update(TracerRadionuclide="F19")),
        ["info", "pet.nii.gz"],
        ["pet.json", "TracerRadionuclide"],
    ),
    (
        "sidecar-weight-text",
        sidecar(lambda s: s.update(BodyWeight="heavy")),
        ["info", "pet.nii.gz"],
        ["pet.json", "BodyWeight"],
    ),
    (
        "sidecar-contradiction",
        sidecar(lambda s: s.update(TracerRadionuclide="C11")),
        ["info", "pet.nii.gz"],
        ["pet.json", "contradicts"],
    ),
    (
        "block-weight-text",
        sidecar(lambda s: s["Positrix"]["subject"].update(weight_g="heavy")),
        ["info", "pet.nii.gz"],
        ["pet.json", "weight_g"],
    ),
    ("nifti-zero-voxels", zero_pixdim, ["info", "pet.nii.gz"], ["pet.nii.gz", "pixdim"]),
    # nonsense options and units
    (
        "activity-ambiguous",
        None,
        ["decay", "F-18", "--activity", "10MCI", "--to", "10"],
        ["--activity", "case-sensitive"],
    ),
    (
        "activity-overflow",
        None,
        ["decay", "F-18", "--activity", "1e400MBq", "--to", "10"],
        ["--activity"],
    ),
    (
        "activity-no-unit",
        None,
        ["decay", "F-18", "--activity", "370", "--to", "10"],
        ["--activity"],
    ),
    ("time-nan", None, ["decay", "F-18", "--activity", "1MBq", "--to", "nan"], ["--to"]),
    (
        "times-mixed-offsets",
        None,
        [
            "decay",
            "F-18",
            "--activity",
            "1MBq",
            "--from",
            "2026-01-01T10:00+01:00",
            "--to",
            "2026-01-01T11:00",
        ],
        ["--from/--to"],
    ),
    ("nuclide-unknown", None, ["nuclide", "F-19"], ["F-19"]),
    ("peak-ml-negative", None, [*STATS, "--peak-ml", "-1"], ["--peak-ml"]),
    (
        "lesion-threshold-negative",
        None,
        ["lesion", "pet", "--seed", "6,-1,25", "--threshold", "-2"],
        ["--threshold"],
    ),
    ("lesion-seed-text", None, ["lesion", "pet", "--seed", "a,b,c"], ["--seed"]),
    ("unit-unknown", None, [*STATS, "--unit", "furlongs"], ["furlongs"]),
    ("dose-unit-case", None, [*STATS, "--dose-unit", "mbq"], ["--dose-unit"]),
    ("tac-xlsx", None, ["tac", "pet", "--voi", "labels.nii.gz", "-o", "t.xlsx"], ["t.xlsx"]),
    (
        "tac-plot-format",
        None,
        ["tac", "pet", "--voi", "labels.nii.gz", "-o", "t.csv", "--plot", "t.xyz"],
        ["t.xyz"],
    ),
    (
        "tac-plot-exists",
        touch("t.png"),
        ["tac", "pet", "--voi", "labels.nii.gz", "-o", "t.csv", "--plot", "t.png"],
        ["t.png"],
    ),
    (
        "fit-plot-is-file",
        touch("plots"),
        [*FIT, "--model", "logan", "--tstar-min", "10", "--plot", "plots"],
        ["--plot"],
    ),
    ("fit-unknown-region", None, [*FIT, "--model", "1tcm", "--region", "heart"], ["heart"]),
    (
        "fit-tstar-too-late",
        None,
        [*FIT, "--model", "patlak", "--tstar-min", "500"],
        ["--tstar-min"],
    ),
    (
        "map-output-is-file",
        touch("maps"),
        [
            "kinetics",
            "map",
            "pet",
            "--model",
            "patlak",
            "--input",
            "input.csv",
            "--tstar-min",
            "1",
            "-o",
            "maps",
        ],
        ["--output"],
    ),
    (
        "map-basis-zero",
        None,
        [
            "kinetics",
            "map",
            "pet",
            "--model",
            "srtm",
            "--ref-voi",
            "labels.nii.gz",
            "--basis",
            "0",
            "-o",
            "maps",
        ],
        ["--basis"],
    ),
    ("recon-iterations-0", None, [*RECON, "--iterations", "0"], ["--iterations"]),
    ("recon-subsets-0", None, [*RECON, "--subsets", "0"], ["--subsets"]),
    ("recon-beta-negative", None, [*RECON, "--beta", "-1"], ["--beta"]),
    ("recon-span-even", None, [*RECON, "--span", "2"], ["--span"]),
    ("recon-output-format", None, [*RECON[:-1], "r.xyz"], ["r.xyz"]),
    ("recon-output-exists", touch("r.nii.gz"), RECON, ["r.nii.gz", "--force"]),
    ("recon-sidecar-exists", touch("r.json"), RECON, ["r.json", "--force"]),
    ("recon-onto-input", None, [*RECON[:-1], "cylinder_events.npz"], ["cylinder_events.npz"]),
    ("recon-start-no-offset", None, [*RECON, "--start", "2026-01-01T10:00"], ["--start"]),
    (
        "simulate-dose-negative",
        None,
        [
            "simulate",
            "point",
            "--scanner",
            "mini.toml",
            "--activity",
            "1MBq",
            "--duration",
            "1s",
            "--ct-dose-mgy",
            "-5",
            "-o",
            "s",
        ],
        ["--ct-dose-mgy"],
    ),
    (
        "simulate-millibecquerel-duration",
        None,
        [
            "simulate",
            "point",
            "--scanner",
            "mini.toml",
            "--activity",
            "1MBq",
            "--duration",
            "10",
            "-o",
            "s",
        ],
        ["--duration"],
    ),
    ("sensitivity-millibecquerel", None, [*SENS, "--activity", "370mBq"], ["--activity"]),
    ("convert-onto-itself", None, ["convert", "pet.nii.gz", "pet.nii.gz"], ["pet.nii.gz"]),
    ("convert-exists", None, ["convert", "pet", "pet.nii.gz"], ["pet.nii.gz", "--force"]),
    ("biodist-no-nuclide", None, ["biodist", "biodist.csv"], ["--nuclide"]),
    (
        "biodist-plot-format",
        None,
        ["biodist", "biodist.csv", "--nuclide", "F-18", "--plot", "b.xyz"],
        ["b.xyz"],
    ),
    ("missing-file", None, ["info", "nothing-here.nii.gz"], ["nothing-here.nii.gz"]),
    # the new commands
    (
        "edit-residual-above-dose",
        None,
        [*EDIT, "--injected", f"7MBq@{_T}", "--residual", f"9MBq@{_T}"],
        ["residual"],
    ),
    (
        "edit-dose-in-2030",
        None,
        [*EDIT, "--injected", "7MBq@2020-01-01T00:00:00+00:00"],
        ["half-lives"],
    ),
    (
        "edit-injection-after-frame",
        None,
        [*EDIT, "--injection-time", "2026-05-01T09:31:30+00:00"],
        ["--injection-time"],
    ),
    ("edit-no-time", None, [*EDIT, "--injected", "7MBq"], ["--injected"]),
    ("edit-weight-no-unit", None, [*EDIT, "--weight", "25"], ["--weight"]),
    (
        "edit-onto-input",
        None,
        ["edit", "pet.nii.gz", "-o", "pet.nii.gz", "--weight", "25g"],
        ["pet.nii.gz"],
    ),
    (
        "resample-labels-linear",
        None,
        [
            "resample",
            "labels.nii.gz",
            "--like",
            "pet.nii.gz",
            "--interpolation",
            "linear",
            "-o",
            "l.nii.gz",
        ],
        ["--interpolation"],
    ),
    (
        "snapshot-point-outside",
        None,
        ["snapshot", "pet.nii.gz", "--point", "900,900,900", "-o", "s.png"],
        ["--point"],
    ),
    (
        "snapshot-ct-not-hu",
        None,
        ["snapshot", "pet.nii.gz", "--ct", "pet.nii.gz", "-o", "s.png"],
        ["--ct"],
    ),
    ("snapshot-format", None, ["snapshot", "pet.nii.gz", "-o", "s.xyz"], ["s.xyz"]),
    ("split-onto-file", touch("f"), ["split", "pet.nii.gz", "-o", "f"], ["--output"]),
    (
        "merge-different-grids",
        None,
        ["merge", "pet.nii.gz", "labels.nii.gz", "-o", "m.nii.gz"],
        ["labels.nii.gz"],
    ),
    (
        "group-animal-twice",
        write("g.csv", "animal,group,v\na,x,1\na,x,2\nb,y,3\nc,y,4\n"),
        ["group", "g.csv", "--value", "v"],
        ["g.csv", "animal"],
    ),
    (
        "group-one-group",
        write("g.csv", "group,v\nx,1\nx,2\n"),
        ["group", "g.csv", "--value", "v"],
        ["g.csv", "group"],
    ),
    (
        "idif-unknown-label",
        None,
        ["kinetics", "idif", "pet", "--voi", "labels.nii.gz", "--label", "heart", "-o", "i.csv"],
        ["--label"],
    ),
    ("recon-image-input", None, ["recon", "pet.nii.gz", "-o", "r.nii.gz"], ["pet.nii.gz"]),
]


def test_the_table_is_large_enough():
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "breaking", "argv", "needles"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_cleanly(
    name, breaking, argv, needles, originals, tmp_path, monkeypatch, capsys
):
    folder = tmp_path / "case"
    shutil.copytree(originals, folder)
    if breaking is not None:
        breaking(folder)
    before = _snapshot(folder)
    monkeypatch.chdir(folder)
    capsys.readouterr()
    code = main(argv)
    _, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"{name}: exit {code}\n{err}"
    assert "Traceback" not in err and "internal error" not in err
    message = lines[-1]
    assert message.startswith(f"positrix {argv[0]}") and ": error: " in message, message
    assert "Fix:" in message, f"{name}: no fix in: {message}"
    for needle in needles:
        assert needle in message, f"{name}: '{needle}' not in: {message}"
    assert _snapshot(folder) == before, f"{name}: files changed or were added"
