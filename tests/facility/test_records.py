"""Animal events (caliper volume V = L·W²/2), series registered by checksum, analyses that
charge their hours, publications."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from positrix.errors import PositrixError
from positrix.facility.access import NotFoundError
from positrix.facility.analyses import add_publication, list_publications, record_analysis
from positrix.facility.animals import register_animal
from positrix.facility.events import add_event, animal_history, tumour_volume_mm3
from positrix.facility.invoices import draft_invoice
from positrix.facility.models import Animal, Charge, Series
from positrix.facility.people import create_project
from positrix.facility.series import content_sha256, register_series
from positrix.facility.services import create_service
from tests.facility.conftest import T


def test_tumour_growth_from_calipers(facility):
    session, users = facility
    rui = users["rui"]
    register_animal(session, rui, "m7", project="P001")
    add_event(session, rui, "m7", "implant", at=T, agent="4T1 cells, 1e5, s.c. flank")
    add_event(session, rui, "m7", "caliper", at=T + timedelta(days=7), length_mm=6.0, width_mm=4.0)
    add_event(session, rui, "m7", "weight", at=T + timedelta(days=7), weight_g=21.5)
    add_event(
        session,
        rui,
        "m7",
        "drug",
        at=T + timedelta(days=8),
        agent="doxorubicin",
        dose=5.0,
        dose_unit="mg/kg",
        route="i.v.",
        schedule="weekly × 3",
    )
    add_event(session, rui, "m7", "endpoint", at=T + timedelta(days=21), note="tumour > 1500 mm3")
    history = animal_history(session, rui, "m7")
    assert [e["kind"] for e in history] == ["implant", "caliper", "weight", "drug", "endpoint"]
    assert history[1]["tumour_volume_mm3"] == pytest.approx(6.0 * 4.0**2 / 2)  # 48 mm³
    animal = session.scalar(select(Animal).where(Animal.facility_id == "m7"))
    assert animal.endpoint == date(2026, 4, 6)
    with pytest.raises(PositrixError, match="width_mm"):
        add_event(session, rui, "m7", "caliper", at=T, length_mm=5.0)
    with pytest.raises(PositrixError, match="dose"):
        add_event(session, rui, "m7", "drug", at=T, agent="cisplatin")
    with pytest.raises(NotFoundError):
        animal_history(session, users["out"], "m7")  # not their project


def test_tumour_volume_is_symmetric_in_its_diameters():
    assert tumour_volume_mm3(10, 8) == tumour_volume_mm3(8, 10) == 320.0


def test_series_are_registered_once_by_content(facility, tmp_path):
    session, users = facility
    folder = tmp_path / "scan"
    folder.mkdir()
    (folder / "a.dcm").write_bytes(b"frame one")
    (folder / "b.dcm").write_bytes(b"frame two")
    first = register_series(session, users["rui"], folder, project="P001", modality="PT")
    assert first.created and first.series.size_bytes == 18
    copy = shutil.copytree(folder, tmp_path / "elsewhere")
    again = register_series(session, users["rui"], copy, project="P001")
    assert not again.created and again.series.id == first.series.id
    assert session.scalar(select(func.count(Series.id))) == 1
    (copy / "b.dcm").write_bytes(b"frame 2")  # other content, other checksum
    assert content_sha256(copy)[0] != content_sha256(folder)[0]
    create_project(session, users["sam"], "P002", pi="pia")
    with pytest.raises(PositrixError, match="another project"):
        register_series(session, users["sam"], folder, project="P002")


def test_a_dicom_series_lends_its_identity(facility, tmp_path):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    session, users = facility
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.128"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Modality, ds.StudyInstanceUID, ds.SeriesInstanceUID = "PT", generate_uid(), generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    path = tmp_path / "one.dcm"
    ds.save_as(path, enforce_file_format=True)
    series = register_series(session, users["rui"], path, project="P001").series
    assert (series.modality, series.series_uid) == ("PT", ds.SeriesInstanceUID)


def test_analysis_hours_are_charged(facility):
    session, users = facility
    create_service(session, users["sam"], "analysis-h", unit="h", rates=(50, 80, 120))
    analysis = record_analysis(
        session,
        users["sam"],
        "P001",
        pipeline="kinetics patlak",
        version="0.13",
        at=T,
        parameters={"t_star_min": 20},
        inputs=["ab" * 32],
        hours=2.5,
        service="analysis-h",
    )
    assert analysis.hours == 2.5
    assert session.scalar(select(Charge.quantity)) == 2.5
    invoice = draft_invoice(session, users["sam"], "P001", "2026-03")
    assert invoice.total == pytest.approx(125.0)  # 2.5 h × 50 (internal)
    with pytest.raises(PositrixError, match="≥ 0"):
        record_analysis(session, users["sam"], "P001", pipeline="x", version="1", at=T, hours=-1.0)


def test_publications(facility):
    session, users = facility
    add_publication(
        session,
        users["rui"],
        "P001",
        doi="https://doi.org/10.1186/S13550-022-00921-3",
        year=2022,
        title="PET confounders",
        journal="EJNMMI Res",
    )
    (row,) = list_publications(session, users["pia"])
    assert row["doi"] == "10.1186/s13550-022-00921-3" and row["project"] == "P001"
    assert list_publications(session, users["out"]) == []  # not their project
    assert len(list_publications(session, users["sam"], year=2022)) == 1
    with pytest.raises(PositrixError, match="not a DOI"):
        add_publication(session, users["rui"], "P001", doi="pmid:123", year=2022)
    with pytest.raises(IntegrityError):  # the database keeps one record per DOI
        add_publication(session, users["rui"], "P001", doi="10.1186/s13550-022-00921-3", year=2022)
