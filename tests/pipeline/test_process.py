"""``positrix process`` and ``batch``: provenance and skipping, a failing step that leaves the
earlier outputs intact, the report's PDF rendered and read back, a batch that completes
around a corrupt study, the analysis recorded with analyst hours."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.errors import FileFormatError
from positrix.pipeline.process import process_study
from positrix.pipeline.protocol import load_protocol
from tests.conftest import external_tool

PROTOCOL = """[input]
pet = "dicom/pet"
ct = "dicom/ct"
[vois]
labels = "quant/labels.nii.gz"
[tables]
units = {units}
[kinetics]
model = "patlak"
input_region = "{input_region}"
regions = ["tumour", "liver"]
tstar_min = 5.0
[report]
unit = "SUVbw"
"""


def _study(demo_output, folder: Path) -> Path:
    for part in ("dicom", "quant"):
        shutil.copytree(demo_output[0] / part, folder / part)
    return folder


def _protocol(tmp_path: Path, *, units='["SUVbw"]', input_region="heart") -> Path:
    path = tmp_path / f"protocol-{abs(hash((units, input_region)))}.toml"
    path.write_text(PROTOCOL.format(units=units, input_region=input_region))
    return path


@pytest.fixture(scope="module")
def processed(demo_output, tmp_path_factory):
    """The demo study copied and processed once (the module's tests read it)."""
    folder = tmp_path_factory.mktemp("study")
    study = _study(demo_output, folder / "study")
    results = process_study(study, load_protocol(_protocol(folder)), log=lambda _: None)
    assert [r.status for r in results] == ["done"] * 6
    return study, folder


def test_provenance_and_a_rerun_that_skips_what_did_not_change(processed):
    study, folder = processed
    record = json.loads((study / "processed" / "tables" / "provenance.json").read_text())
    assert set(record) >= {"code_version", "parameters", "inputs", "outputs", "seconds", "key"}
    assert "processed/images/pet.nii.gz" in record["inputs"]
    again = process_study(study, load_protocol(_protocol(folder)), log=lambda _: None)
    assert [r.status for r in again] == ["skipped"] * 6
    other = load_protocol(_protocol(folder, units='["SUVbw", "%ID/g"]'))
    changed = {r.step: r.status for r in process_study(study, other, log=lambda _: None)}
    assert changed["images"] == changed["vois"] == changed["tacs"] == "skipped"
    assert changed["tables"] == "done"  # its parameters changed
    table = (study / "processed" / "tables" / "uptake.csv").read_text()
    assert "%ID/g" in table and "SUVbw" in table


def test_a_failing_step_keeps_the_earlier_outputs_and_says_why(processed, capsys):
    study, folder = processed
    before = (study / "processed" / "kinetics" / "provenance.json").read_text()
    tables = (study / "processed" / "tables" / "uptake.csv").read_bytes()
    bad = _protocol(folder, units='["SUVbw", "%ID/g"]', input_region="aorta")  # as last run
    code = main(["process", str(study), "--protocol", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "step kinetics failed" in err and "aorta" in err and "Fix:" in err
    assert (study / "processed" / "kinetics" / "provenance.json").read_text() == before
    assert (study / "processed" / "tables" / "uptake.csv").read_bytes() == tables


def test_the_report_pdf_has_its_pictures_and_numbers(processed, tmp_path):
    study, _ = processed
    pdf = study / "processed" / "report" / "report.pdf"
    pdftoppm, pdftotext = external_tool("pdftoppm"), external_tool("pdftotext")
    subprocess.run([pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 1 <= len(pages) <= 4
    from PIL import Image

    first = np.asarray(Image.open(pages[0]).convert("L"), dtype=float)
    band = first[first.shape[0] // 4 : first.shape[0] // 2]  # where the PET/CT figure sits
    assert band.std() > 20 and (band < 60).mean() > 0.02  # pictures, not a blank page
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    data = json.loads((study / "processed" / "report" / "report.json").read_text())
    heart = next(r for r in data["vois"] if r["region"] == "heart")
    assert f"{heart['mean']:.4g}" in text and "SUVbw" in text
    kinetics = json.loads((study / "processed" / "kinetics" / "kinetics.json").read_text())
    assert f"{kinetics[0]['value']:.4g}" in text
    flat = " ".join(text.split())
    assert "decay reference" in flat and "(ratio 1.000)" in flat  # all activity in view


def test_protocol_mistakes_are_named(tmp_path):
    cases = (
        ("[inputs]\npet='x'\n", "unknown section [inputs]"),
        ("[input]\npet='x'\n[vois]\nlabel='y'\n", "unknown key 'label'"),
        ("[vois]\nthreshold=0.5\n", "no [input] pet"),
        ("[input]\npet='x'\n[vois]\nthreshold=5\n", "not a fraction"),
    )
    for text, needle in cases:
        path = tmp_path / "p.toml"
        path.write_text(text)
        with pytest.raises(FileFormatError, match=needle.replace("[", r"\[")):
            load_protocol(path)


def test_a_batch_completes_around_a_corrupt_study_and_records_hours(demo_output, tmp_path, capsys):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from positrix.facility.db import make_engine
    from positrix.facility.models import Analysis
    from tests.facility.conftest import small_facility

    good = [_study(demo_output, tmp_path / f"s{k}") for k in range(2)]
    bad = _study(demo_output, tmp_path / "corrupt")
    for path in sorted((bad / "dicom" / "pet").rglob("*.dcm"))[:50]:
        path.write_bytes(path.read_bytes()[:300])
    url = f"sqlite:///{tmp_path / 'f.db'}"
    small_facility(url)
    engine = make_engine(url)
    capsys.readouterr()
    code = main(
        [
            "batch",
            str(_protocol(tmp_path)),
            str(good[0]),
            str(bad),
            str(good[1]),
            "--workers",
            "2",
            "--db",
            url,
            "--project",
            "P001",
            "--as",
            "admin",
            "--hours",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert "2 of 3 studies processed; 1 failed:" in out and f"{bad}: images:" in out
    assert "truncated" in out
    for study in good:
        assert (study / "processed" / "report" / "report.pdf").exists()
    with Session(engine) as session:
        analyses = list(session.scalars(select(Analysis)))
    assert len(analyses) == 2 and sum(a.hours for a in analyses) == pytest.approx(3.0)
    engine.dispose()
