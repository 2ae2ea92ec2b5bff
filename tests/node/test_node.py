"""The DICOM node against independent clients (dcmtk's storescu, pynetdicom's SCU): the demo
study routed to its project with nothing written twice; resend, conflicting UID, unknown
routing, a truncated image and a non-image SOP class each end as they should, and the node
keeps answering."""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import os
import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import pydicom
import pytest
from pynetdicom import AE
from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.facility.dicom import assign_study, triage
from positrix.facility.models import DicomInstance
from positrix.node.routing import Route, load_routes, route
from positrix.node.scp import STORAGE_CLASSES, Node, NodeConfig
from tests.conftest import external_tool
from tests.facility.conftest import small_facility


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def node(tmp_path):
    url = f"sqlite:///{tmp_path / 'facility.db'}"
    small_facility(url)
    routes = (Route("P001", {"patient_id": "demo-mouse*"}, "{patient_id}"),)
    running = Node(
        NodeConfig(archive=tmp_path / "archive", db_url=url, port=_port(), routes=routes)
    )
    running.start()
    yield running
    running.stop()


def _instances(node: Node) -> list[DicomInstance]:
    node.flush()
    with Session(node.engine) as session:
        return list(session.scalars(select(DicomInstance)))


def _process_sent(tmp_path: Path, url: str, folder: Path, rule: Route, protocol: str, *,
                  studies: int) -> Node:  # fmt: skip
    """Start a node that processes routed studies with ``protocol`` (TOML text), send
    ``folder`` with dcmtk's storescu, wait until ``studies`` runs ended, stop the node."""
    import time

    from positrix.pipeline.protocol import load_protocol

    path = tmp_path / "protocol.toml"
    path.write_text(protocol)
    node = Node(
        NodeConfig(
            archive=tmp_path / "archive",
            db_url=url,
            port=_port(),
            routes=(rule,),
            protocol=load_protocol(path),
            settle_s=1.0,
        )
    )
    node.start()
    try:
        _send(node.config.port, folder)
        deadline = time.monotonic() + 180
        while node.stats["processed"] + node.stats["process_failed"] < studies:
            assert time.monotonic() < deadline, "the study was not processed"
            time.sleep(0.5)
    finally:
        node.stop()
    return node


def _archived(node: Node) -> list[Path]:
    return sorted(
        p
        for p in node.config.archive.rglob("*.dcm")
        if not {"conflicts", "rejected"} & set(p.parts)
    )


def _scu(node: Node, *contexts: str):
    ae = AE(ae_title="TESTSCU")
    for uid in contexts or STORAGE_CLASSES.values():
        ae.add_requested_context(uid)
    ae.add_requested_context("1.2.840.10008.1.1")
    assoc = ae.associate("127.0.0.1", node.config.port, ae_title="POSITRIX")
    assert assoc.is_established
    return assoc


def dcmtk(name: str) -> str:
    """dcmtk's program (pynetdicom installs a Python one of the same name in the venv)."""
    import shutil
    import sys

    venv = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv)
    found = shutil.which(name, path=path)
    return found if found else external_tool(f"dcmtk-{name}")


def _send(port: int, folder: Path) -> None:
    """Send every DICOM file under ``folder`` with dcmtk's storescu (Nagle off)."""
    subprocess.run(
        [dcmtk("storescu"), "+sd", "+r", "-aec", "POSITRIX", "127.0.0.1", str(port), str(folder)],
        check=True,
        env=os.environ | {"TCP_NODELAY": "1"},
        capture_output=True,
        timeout=300,
    )


def test_storescu_sends_the_demo_study_and_it_is_routed_once(node, demo_output):
    folder = demo_output[0] / "dicom"
    sent = sorted(folder.rglob("*.dcm"))
    for _ in range(2):  # the second time is a resend of everything
        _send(node.config.port, folder)
    rows = _instances(node)
    assert len(rows) == len(sent) == len(_archived(node))  # nothing written twice
    assert node.stats["stored"] == len(sent) and node.stats["duplicate"] == len(sent)
    assert {r.status for r in rows} == {"routed"} and {r.modality for r in rows} == {"PT", "CT"}
    assert {r.animal for r in rows} == {"demo-mouse-01"}
    one = rows[0]
    assert hashlib.sha256(Path(one.path).read_bytes()).hexdigest() == one.sha256


def _pet(demo_output) -> pydicom.Dataset:
    first = sorted((demo_output[0] / "dicom" / "pet").rglob("*.dcm"))[0]
    return pydicom.dcmread(first)


def test_a_conflicting_uid_is_kept_aside_and_the_archive_is_unchanged(node, demo_output):
    ds = _pet(demo_output)
    assoc = _scu(node)
    assert assoc.send_c_store(ds).Status == 0x0000
    changed = copy.deepcopy(ds)
    changed.PatientComments = "a different file under the same SOP Instance UID"
    assert assoc.send_c_store(changed).Status == 0x0000
    assoc.release()
    (row,) = _instances(node)
    assert node.stats["conflict"] == 1
    assert hashlib.sha256(Path(row.path).read_bytes()).hexdigest() == row.sha256  # unchanged
    aside = list((node.config.archive / "conflicts").glob("*.dcm"))
    assert len(aside) == 1 and b"a different file" in aside[0].read_bytes()


def test_unknown_routing_waits_in_triage_until_assigned(node, demo_output):
    ds = _pet(demo_output)
    ds.PatientID = "stray-42"
    assoc = _scu(node)
    assert assoc.send_c_store(ds).Status == 0x0000
    assoc.release()
    (row,) = _instances(node)
    assert row.status == "triage" and row.project_id is None
    with Session(node.engine) as session, session.begin():
        from positrix.facility.people import get_user

        admin = get_user(session, "admin")
        (waiting,) = triage(session, admin)
        assert waiting["patient_id"] == "stray-42"
        assert assign_study(session, admin, waiting["study_uid"], project="P001",
                            animal="M-42") == 1  # fmt: skip
        assert triage(session, admin) == []


def test_a_truncated_image_is_refused_kept_and_the_node_keeps_answering(node, demo_output):
    ds = _pet(demo_output)
    ds.PixelData = ds.PixelData[: len(ds.PixelData) // 2]
    assoc = _scu(node)
    assert assoc.send_c_store(ds).Status == 0xA900
    assert assoc.send_c_echo().Status == 0x0000  # the same association still works
    assoc.release()
    assert _instances(node) == [] and node.stats["rejected"] == 1
    (kept,) = (node.config.archive / "rejected").glob("*.dcm")
    assert "pixel data holds" in kept.with_suffix(".txt").read_text()


def test_a_non_image_sop_class_is_not_accepted_and_nothing_breaks(node, demo_output):
    rt_struct = "1.2.840.10008.5.1.4.1.1.481.3"
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(rt_struct)
    ae.add_requested_context("1.2.840.10008.1.1")
    assoc = ae.associate("127.0.0.1", node.config.port, ae_title="POSITRIX")
    assert assoc.is_established
    accepted = {c.abstract_syntax for c in assoc.accepted_contexts}
    assert rt_struct not in accepted  # refused at negotiation: the sender knows at once
    ds = _pet(demo_output)
    ds.SOPClassUID = rt_struct
    with pytest.raises(ValueError):
        assoc.send_c_store(ds)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


def test_c_find_answers_what_the_node_holds(node, demo_output):
    ds = _pet(demo_output)
    assoc = _scu(node, "1.2.840.10008.5.1.4.1.2.2.1", STORAGE_CLASSES["PET"])
    assert assoc.send_c_store(ds).Status == 0x0000
    node.flush()
    query = pydicom.Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""
    query.PatientID = ""
    query.NumberOfStudyRelatedInstances = ""
    answers = [
        identifier
        for status, identifier in assoc.send_c_find(query, "1.2.840.10008.5.1.4.1.2.2.1")
        if status and status.Status == 0xFF00
    ]
    assoc.release()
    assert len(answers) == 1 and answers[0].StudyInstanceUID == ds.StudyInstanceUID
    assert int(answers[0].NumberOfStudyRelatedInstances) == 1


def test_routing_rules_from_toml(tmp_path):
    path = tmp_path / "routes.toml"
    path.write_text(
        '[[route]]\npatient_id = "M24*"\nstudy_description = "*FDG*"\n'
        'project = "P24000"\nanimal = "{patient_id}"\n'
        '[[route]]\naccession = "A-*"\nproject = "P24001"\n'
    )
    rules = load_routes(path)
    hit = route(rules, {"patient_id": "M2401", "study_description": "mouse FDG 60 min"})
    assert (
        hit is not None
        and hit.project == "P24000"
        and hit.animal_for({"patient_id": "M2401"}) == "M2401"
    )
    assert route(rules, {"patient_id": "M2401", "study_description": "FLT"}) is None
    assert route(rules, {"accession": "A-7"}).project == "P24001"
    path.write_text('[[route]]\npatient = "x"\nproject = "P"\n')
    from positrix.errors import FileFormatError

    with pytest.raises(FileFormatError, match="unknown key 'patient'"):
        load_routes(path)


def test_a_routed_study_is_processed_and_reported_once_it_has_arrived(tmp_path, demo_output):
    """The node end to end: storescu sends the demo PET and CT, the study is routed to its
    project, processed by the protocol and reported, nothing written twice."""

    url = f"sqlite:///{tmp_path / 'facility.db'}"
    small_facility(url)
    node = _process_sent(
        tmp_path,
        url,
        demo_output[0] / "dicom",
        Route("P001", {"patient_id": "demo-mouse*"}),
        '[input]\npet = "modality:PT"\nct = "modality:CT"\n'
        '[vois]\nthreshold = 0.4\n[report]\nunit = "SUVbw"\n',
        studies=1,
    )
    assert node.stats["processed"] == 1 and node.stats["process_failed"] == 0
    rows = _instances(node)
    sent = len(list((demo_output[0] / "dicom").rglob("*.dcm")))
    assert len(rows) == len(_archived(node)) == sent  # nothing twice
    (study,) = {r.study_uid for r in rows}
    report = tmp_path / "archive" / "processed" / study / "report"
    assert (report / "report.pdf").exists() and (report / "report.html").exists()
    assert {r.status for r in rows} == {"routed"}
    from positrix.facility.models import Analysis, Project

    with Session(node.engine) as session:  # the node's run is in the database, once
        (analysis,) = session.query(Analysis).all()
        assert session.get(Project, analysis.project_id).code == "P001"
        assert (analysis.pipeline, analysis.status, analysis.hours) == ("positrix node", "done", 0)
        assert study in analysis.inputs and str(report.parent) in analysis.outputs


def _hotel_dicom(folder: Path) -> None:
    """A hotel PET/CT as DICOM: two cylinders (radius 8 mm) at x = ±15 mm, 100 and
    200 kBq/mL, one 10-min frame, PatientID HOTEL-7, taken on T0's day."""
    from positrix.io.dicom import write_dicom
    from tests.conftest import T0, make_pet
    from tests.pipeline.test_hotel import _hotel

    activity, hu = _hotel()  # the hotel of the splitting tests: 1 mm voxels, gap 30 mm
    template = make_pet(shape=activity.spatial_shape, frames="1x600s", affine=activity.affine)
    meta = {
        "StudyInstanceUID": "1.2.826.0.1.3680043.8.498.77",
        "PatientPosition": "HFP",
        "StudyDate": T0.strftime("%Y%m%d"),
        "FrameOfReferenceUID": "1.2.826.0.1.3680043.8.498.78",
        "CorrectedImage": ["DECY", "ATTN", "SCAT", "RAN", "NORM", "DTIM"],
    }
    subject = dataclasses.replace(template.subject, id="HOTEL-7", weight_g=None)
    pet = template.replace(data=activity.data[..., None], subject=subject, metadata=meta)
    ct = hu.replace(subject=subject, metadata=meta)
    write_dicom(pet, folder / "pet")
    write_dicom(ct, folder / "ct")


def test_a_hotel_scan_is_split_per_animal_with_its_own_weight_and_injection(tmp_path):
    """The facility lists two sessions at one scan with hotel positions 1 and 2: the node
    splits the routed study and processes each animal with its own weight and injection,
    and records one analysis per animal."""

    from positrix.facility.animals import create_batch, record_session, register_animal
    from positrix.facility.bookings import create_instrument
    from positrix.facility.db import make_engine
    from positrix.facility.models import Analysis, User
    from tests.conftest import T0

    url = f"sqlite:///{tmp_path / 'facility.db'}"
    small_facility(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        create_instrument(
            session,
            admin,
            "inveon",
            modality="PET/CT",
            rate_internal=1.0,
            rate_external=1.0,
            rate_industry=1.0,
        )
        create_batch(
            session,
            admin,
            "F18-1",
            tracer="FDG",
            nuclide="F-18",
            eos_time=T0 - timedelta(hours=1),
            eos_activity_bq=5e10,
        )
        for position, (name, weight, injected) in enumerate(
            [("M-left", 20.0, 5e6), ("M-right", 25.0, 8e6)], start=1
        ):
            register_animal(session, admin, name, project="P001")
            record_session(
                session,
                admin,
                name,
                instrument="inveon",
                start=T0,
                batch="F18-1",
                injection_time=T0,
                injected_before_bq=injected,
                injected_before_time=T0,
                weight_g=weight,
                hotel_position=str(position),
            )
    engine.dispose()
    _hotel_dicom(tmp_path / "sent")
    node = _process_sent(
        tmp_path,
        url,
        tmp_path / "sent",
        Route("P001", {"patient_id": "HOTEL-*"}),
        '[input]\npet = "modality:PT"\nct = "modality:CT"\n[vois]\nthreshold = 0.9\n'
        '[tables]\nunits = ["SUVbw"]\n[report]\nunit = "SUVbw"\n',
        studies=2,
    )
    assert (node.stats["processed"], node.stats["process_failed"]) == (2, 0)
    done = tmp_path / "archive" / "processed" / "1.2.826.0.1.3680043.8.498.77"
    # SUVbw = C / (A / w) with 1 g/mL; injected at the decay reference, no residual:
    # left 1e5 / (5e6 / 20) = 0.4, right 2e5 / (8e6 / 25) = 0.625 (rel 1e-4: float32 + text)
    for position, expected in ((1, 0.4), (2, 0.625)):
        with (done / f"position-{position}" / "tables" / "uptake.csv").open() as handle:
            (row,) = list(csv.DictReader(handle))
        assert float(row["mean"]) == pytest.approx(expected, rel=1e-4)
        assert (done / f"position-{position}" / "report" / "report.pdf").exists()
    with Session(node.engine) as session:
        outputs = sorted(a.outputs for a in session.scalars(select(Analysis)))
    assert len(outputs) == 2 and "position-1" in outputs[0] and "position-2" in outputs[1]
