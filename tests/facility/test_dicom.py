"""The node's records: which animals a routed study holds when the facility lists it as a
hotel scan, and the node's own analyses (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from positrix.errors import PositrixError
from positrix.facility.animals import record_session, register_animal
from positrix.facility.dicom import hotel_sessions, record_instances, record_node_analysis
from tests.facility.conftest import T


def _instance(study: str, project: str | None) -> dict:
    return {
        "sop_instance_uid": f"{study}.1",
        "sop_class_uid": "1.2.840.10008.5.1.4.1.1.128",
        "study_uid": study,
        "series_uid": f"{study}.9",
        "modality": "PT",
        "study_date": T.strftime("%Y%m%d"),
        "path": f"/archive/{study}.dcm",
        "sha256": "0" * 64,
        "size_bytes": 1,
        "project": project,
        "animal": "",
        "patient_id": "HOTEL",
        "study_description": "",
        "accession": "",
    }


def _hotel(session, users, start, names, positions):
    for name, position in zip(names, positions, strict=True):
        register_animal(session, users["rui"], name, project="P001")
        record_session(
            session,
            users["sam"],
            name,
            instrument="inveon",
            start=start,
            weight_g=22.0,
            hotel_position=position,
        )


def test_a_hotel_study_lists_its_animals_in_position_order(facility):
    session, users = facility
    record_instances(session, [_instance("1.2.3", "P001")], calling_ae="SCANNER")
    record_instances(session, [_instance("1.2.4", None)], calling_ae="SCANNER")
    _hotel(session, users, T, ["h2", "h1"], ["2", "1"])
    register_animal(session, users["rui"], "solo", project="P001")  # no position: not hotel
    record_session(session, users["sam"], "solo", instrument="inveon", start=T)
    rows = hotel_sessions(session, "1.2.3")
    assert [(r["position"], r["animal"], r["weight_g"]) for r in rows] == [
        (1, "h1", 22.0),
        (2, "h2", 22.0),
    ]
    assert hotel_sessions(session, "1.2.4") == []  # in triage: no project, no sessions
    # the analysis of a routed study lands under its project; of a triaged one nowhere
    analysis = record_node_analysis(
        session,
        "1.2.3",
        pipeline="positrix node",
        version="1",
        parameters={},
        output="/out",
        status="done",
    )
    assert analysis is not None and analysis.analyst_id is None and analysis.hours == 0
    assert record_node_analysis(session, "1.2.4", pipeline="positrix node", version="1",
                                parameters={}, output="/out", status="done") is None  # fmt: skip


def test_two_hotel_scans_on_one_day_or_a_named_position_are_not_guessed(facility):
    session, users = facility
    record_instances(session, [_instance("1.2.5", "P001")], calling_ae="SCANNER")
    _hotel(session, users, T, ["a1", "a2"], ["1", "2"])
    _hotel(session, users, T + timedelta(hours=3), ["b1", "b2"], ["1", "2"])
    with pytest.raises(PositrixError, match="2 hotel scans of this project"):
        hotel_sessions(session, "1.2.5")


def test_a_hotel_position_must_be_a_number(facility):
    session, users = facility
    record_instances(session, [_instance("1.2.6", "P001")], calling_ae="SCANNER")
    _hotel(session, users, T, ["c1", "c2"], ["left", "right"])
    with pytest.raises(PositrixError, match="'left' of c1 is not a number"):
        hotel_sessions(session, "1.2.6")
