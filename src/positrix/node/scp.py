"""The node's DICOM service (pynetdicom): C-ECHO, C-STORE of PET, CT, secondary captures
and segmentations, C-FIND at study and series level from the database.

Each received instance is written to the archive first (the bytes as they came), then queued
for the database, which a recorder thread writes in batches (one transaction and one audit
entry per batch), so that a burst of 1 000 instances is not 1 000 commits.  The handler does
only what must happen before the answer (the UIDs that place the file, the pixel-length check,
the write); the tags for the database and the routing are read in the recorder thread.  An
image whose pixel data is shorter than its rows × columns × frames says is refused (status
A900) and kept aside with the reason; nothing received is ever dropped silently.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from positrix.node.archive import Archive
from positrix.node.routing import Route, route

__all__ = ["STORAGE_CLASSES", "Node", "NodeConfig", "file_bytes"]

log = logging.getLogger("positrix.node")

#: The SOP classes the node stores (name → UID).
STORAGE_CLASSES = {
    "PET": "1.2.840.10008.5.1.4.1.1.128",
    "Enhanced PET": "1.2.840.10008.5.1.4.1.1.130",
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "Enhanced CT": "1.2.840.10008.5.1.4.1.1.2.1",
    "Secondary Capture": "1.2.840.10008.5.1.4.1.1.7",
    "Segmentation": "1.2.840.10008.5.1.4.1.1.66.4",
}
_VERIFICATION = "1.2.840.10008.1.1"
_FIND = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Query/Retrieve – FIND


@dataclass(frozen=True)
class NodeConfig:
    """Where the node listens and keeps things."""

    archive: Path
    db_url: str | None
    ae_title: str = "POSITRIX"
    host: str = "127.0.0.1"
    port: int = 11112
    routes: tuple[Route, ...] = ()
    protocol: Any = None
    processed: Path | None = None
    settle_s: float = 10.0


def _text(ds: Any, keyword: str) -> str:
    value = ds.get(keyword, "")
    return str(value).strip() if value is not None else ""


def _short_pixels(ds: Any, syntax: Any) -> str:
    """Why an image's pixel data cannot be whole, or ``""`` (``syntax``: the transfer
    syntax it came in; compressed pixel data has no fixed length)."""
    if "PixelData" not in ds or "Rows" not in ds:
        return ""
    expected = (
        int(ds.Rows)
        * int(ds.Columns)
        * int(ds.get("SamplesPerPixel", 1))
        * int(ds.get("NumberOfFrames", 1) or 1)
        * int(ds.BitsAllocated)
        // 8
    )
    found = len(ds.PixelData)
    if syntax is not None and syntax.is_compressed:
        return ""
    return (
        f"pixel data holds {found} bytes, its header promises {expected}"
        if found < expected
        else ""
    )


def _element(group_element: int, vr: bytes, value: bytes) -> bytes:
    import struct

    tag = struct.pack("<HH", group_element >> 16, group_element & 0xFFFF)
    if vr == b"OB":
        return tag + vr + b"\0\0" + struct.pack("<I", len(value)) + value
    return tag + vr + struct.pack("<H", len(value)) + value


def _padded(text: str, pad: bytes) -> bytes:
    raw = text.encode("ascii")
    return raw + pad if len(raw) % 2 else raw


def file_bytes(dataset: bytes, *, sop_class: str, sop_instance: str, syntax: str,
               calling_ae: str) -> bytes:  # fmt: skip
    """A DICOM Part 10 file: preamble, ``DICM``, the file meta group (explicit VR little
    endian, written here directly: pydicom's general writer costs ~1 ms per instance) and the
    data set's bytes exactly as received."""
    import struct

    from pynetdicom import PYNETDICOM_IMPLEMENTATION_UID, PYNETDICOM_IMPLEMENTATION_VERSION

    body = b"".join(
        (
            _element(0x00020001, b"OB", b"\0\1"),
            _element(0x00020002, b"UI", _padded(sop_class, b"\0")),
            _element(0x00020003, b"UI", _padded(sop_instance, b"\0")),
            _element(0x00020010, b"UI", _padded(syntax, b"\0")),
            _element(0x00020012, b"UI", _padded(str(PYNETDICOM_IMPLEMENTATION_UID), b"\0")),
            _element(0x00020013, b"SH", _padded(PYNETDICOM_IMPLEMENTATION_VERSION, b" ")),
            _element(0x00020016, b"AE", _padded(calling_ae or "UNKNOWN", b" ")),
        )
    )
    group = _element(0x00020000, b"UL", struct.pack("<I", len(body)))
    return b"\0" * 128 + b"DICM" + group + body + dataset


#: How long an association's network loop sleeps when idle (s).  pynetdicom's default of
#: 1 ms is paid about twice per instance; 0.1 ms lets a C-STORE answer sooner (the loop then
#: wakes 10 000 times a second only while an association is open).
REACTOR_IDLE_S = 0.0001


def _quick_reactor(event: Any) -> None:
    """Shorten the idle sleep of the new association's DUL loop (``_run_loop_delay``, the
    knob pynetdicom's maintainers point to for throughput)."""
    event.assoc.dul._run_loop_delay = REACTOR_IDLE_S


def _syntax(event: Any) -> Any:
    from pydicom.uid import UID

    return UID(event.context.transfer_syntax)


class Node:
    """A running node: ``start()``, ``stop()``; counts of what it did in ``stats``."""

    def __init__(self, config: NodeConfig) -> None:
        from positrix.facility.db import make_engine

        self.config = config
        self.archive = Archive(config.archive)
        self.engine = make_engine(config.db_url)
        self.stats = {
            "stored": 0,
            "duplicate": 0,
            "conflict": 0,
            "rejected": 0,
            "triage": 0,
            "processed": 0,
            "process_failed": 0,
        }
        self._arrived: dict[str, float] = {}  # study UID → when its last instance came
        self._pending: set[str] = set()  # routed studies waiting for the pipeline
        self._pending_lock = threading.Lock()
        self._stopping = threading.Event()
        self._processor = threading.Thread(target=self._process, name="node-pipeline", daemon=True)
        self._queue: queue.Queue[tuple[str, Any, tuple[str, str, str], Any] | None] = queue.Queue()
        self._recorder = threading.Thread(target=self._record, name="node-recorder", daemon=True)
        self._server: Any = None

    # --- the database side -------------------------------------------------------------
    def _record(self) -> None:
        from sqlalchemy.orm import Session

        from positrix.facility.dicom import record_instances

        done = False
        while not done:
            item = self._queue.get()
            batch = [item] if item is not None else []
            done = item is None
            while len(batch) < 500:
                try:
                    more = self._queue.get(timeout=0.05)
                except queue.Empty:
                    break
                if more is None:
                    done = True
                    break
                batch.append(more)
            by_caller: dict[str, list[dict[str, Any]]] = {}
            for caller, ds, uids, stored in batch:
                try:
                    by_caller.setdefault(caller, []).append(self._row(ds, uids, stored))
                except Exception:  # a tag that does not decode: the file stays archived
                    log.exception("could not read the tags of %s (file kept)", stored.path)
            for caller, rows in by_caller.items():
                try:
                    with Session(self.engine) as session, session.begin():
                        record_instances(session, rows, calling_ae=caller)
                except Exception:  # the files are safe in the archive; say so, keep going
                    log.exception(
                        "could not register %d instances from %s (files kept)", len(rows), caller
                    )
            for _ in range(len(batch) + done):
                self._queue.task_done()

    def _process(self) -> None:
        """Run the protocol on each routed study once no instance of it arrived for
        ``settle_s`` seconds (the sender has finished) and every received instance is
        registered."""
        while not self._stopping.wait(0.5):
            if self._queue.unfinished_tasks:
                continue  # registrations first: the pipeline reads a complete study
            now = time.monotonic()
            with self._pending_lock:
                ready = [s for s in self._pending if now - self._arrived[s] >= self.config.settle_s]
                self._pending.difference_update(ready)
            for study in ready:
                self._run_protocol(study)

    def _run_protocol(self, study: str) -> None:
        """One study through the protocol (split per animal first when the facility lists
        it as a hotel scan); the outcome counted, logged and recorded."""
        from positrix.errors import PositrixError
        from positrix.pipeline.hotel import hotel_animals, process_hotel
        from positrix.pipeline.process import StepResult, process_study

        out = (self.config.processed or self.config.archive / "processed") / study

        def lines(line: str) -> None:
            log.info("%s", line)

        try:
            animals = hotel_animals(self._hotel_rows(study))
            if animals:
                log.info("study %s is a hotel scan of %d animals: split", study, len(animals))
                runs = process_hotel(
                    self.archive.root / study, self.config.protocol, animals, out=out, log=lines
                )
                outcomes = {out / f"position-{n}": results for n, results in runs.items()}
            else:
                outcomes = {
                    out: process_study(
                        self.archive.root / study, self.config.protocol, out=out, log=lines
                    )
                }
        except PositrixError as err:  # the study as a whole could not be read or split
            outcomes = {out: [StepResult("images", "failed", 0.0, str(err))]}
        for folder, results in outcomes.items():
            failed = [r for r in results if r.status == "failed"]
            if failed:
                self.stats["process_failed"] += 1
                log.warning("study %s: step %s failed: %s", study, failed[0].step, failed[0].reason)
            else:
                self.stats["processed"] += 1
                log.info("study %s processed: %s", study, folder)
            self._record_analysis(study, folder, "failed" if failed else "done")

    def _hotel_rows(self, study: str) -> list[dict[str, Any]]:
        from sqlalchemy.orm import Session

        from positrix.facility.dicom import hotel_sessions

        with Session(self.engine) as session:
            return hotel_sessions(session, study)

    def _record_analysis(self, study: str, out: Path, status: str) -> None:
        """The run in the facility database, under the study's project."""
        from sqlalchemy.orm import Session

        from positrix import __version__
        from positrix.facility.dicom import record_node_analysis
        from positrix.pipeline.process import STEPS

        try:
            with Session(self.engine) as session, session.begin():
                record_node_analysis(
                    session,
                    study,
                    pipeline="positrix node",
                    version=__version__,
                    parameters=self.config.protocol.raw | {"steps": list(STEPS)},
                    output=str(out),
                    status=status,
                )
        except Exception:  # the outputs are on disk; the record is what failed
            log.exception("could not record the analysis of study %s", study)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every queued instance is in the database."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    # --- the DICOM side ------------------------------------------------------------------
    def _on_store(self, event: Any) -> int:
        caller = str(event.assoc.requestor.ae_title).strip()
        request = event.request
        data = file_bytes(
            request.DataSet.getvalue(),
            sop_class=str(request.AffectedSOPClassUID),
            sop_instance=str(request.AffectedSOPInstanceUID),
            syntax=str(event.context.transfer_syntax),
            calling_ae=caller,
        )
        try:
            ds = event.dataset
            uids = (
                _text(ds, "StudyInstanceUID"),
                _text(ds, "SeriesInstanceUID"),
                str(request.AffectedSOPInstanceUID),
            )
            problem = _short_pixels(ds, _syntax(event))
        except Exception as err:  # an unreadable data set: keep it aside, refuse it
            problem, uids = f"cannot decode the data set ({err})", ("", "", "")
        if problem:
            kept = self.archive.reject(data, problem)
            self.stats["rejected"] += 1
            log.warning("refused an instance from %s: %s (kept as %s)", caller, problem, kept)
            return 0xA900
        try:
            stored = self.archive.store(data, study=uids[0], series=uids[1], sop=uids[2])
        except Exception as err:
            kept = self.archive.reject(data, str(err))
            self.stats["rejected"] += 1
            log.warning("refused an instance from %s: %s (kept as %s)", caller, err, kept)
            return 0xA900
        self.stats[stored.outcome] += 1
        if stored.outcome == "duplicate":
            log.info("resend of %s from %s: already archived, nothing written", uids[2], caller)
            return 0x0000
        if stored.outcome == "conflict":
            log.warning(
                "SOP Instance UID %s from %s already holds other data; the new file is "
                "kept aside as %s, the archived one is unchanged",
                uids[2],
                caller,
                stored.path,
            )
            return 0x0000
        with self._pending_lock:
            self._arrived[uids[0]] = time.monotonic()
        self._queue.put((caller, ds, uids, stored))
        return 0x0000

    def _row(self, ds: Any, uids: tuple[str, str, str], stored: Any) -> dict[str, Any]:
        tags = {
            "patient_id": _text(ds, "PatientID"),
            "study_description": _text(ds, "StudyDescription"),
            "accession": _text(ds, "AccessionNumber"),
        }
        rule = route(list(self.config.routes), tags)
        if rule is None:
            self.stats["triage"] += 1
        elif self.config.protocol is not None:
            with self._pending_lock:
                self._pending.add(uids[0])
        return {
            "sop_instance_uid": uids[2],
            "sop_class_uid": _text(ds, "SOPClassUID")[:64],
            "study_uid": uids[0],
            "series_uid": uids[1],
            "modality": _text(ds, "Modality"),
            "study_date": _text(ds, "StudyDate")[:8],
            "path": str(stored.path),
            "sha256": stored.sha256,
            "size_bytes": stored.size_bytes,
            "project": rule.project if rule else None,
            "animal": rule.animal_for(tags) if rule else "",
            "patient_id": tags["patient_id"][:64],
            "study_description": tags["study_description"][:200],
            "accession": tags["accession"][:64],
        }

    def _on_find(self, event: Any) -> Iterator[tuple[int, Any]]:
        from pydicom.dataset import Dataset
        from sqlalchemy.orm import Session

        from positrix.facility.dicom import find_series, find_studies

        query = event.identifier
        level = _text(query, "QueryRetrieveLevel")
        with Session(self.engine) as session:
            if level == "STUDY":
                filters = {
                    "patient_id": _text(query, "PatientID"),
                    "study_uid": _text(query, "StudyInstanceUID"),
                }
                for study in find_studies(session, filters):
                    answer = Dataset()
                    answer.QueryRetrieveLevel = "STUDY"
                    answer.StudyInstanceUID = study["study_uid"]
                    answer.PatientID = study["patient_id"]
                    answer.StudyDate = study["study_date"]
                    answer.StudyDescription = study["study_description"]
                    answer.AccessionNumber = study["accession"]
                    answer.ModalitiesInStudy = study["modalities"]
                    answer.NumberOfStudyRelatedInstances = study["instances"]
                    answer.NumberOfStudyRelatedSeries = study["series"]
                    yield 0xFF00, answer
            elif level == "SERIES":
                for series in find_series(session, _text(query, "StudyInstanceUID")):
                    answer = Dataset()
                    answer.QueryRetrieveLevel = "SERIES"
                    answer.StudyInstanceUID = _text(query, "StudyInstanceUID")
                    answer.SeriesInstanceUID = series["series_uid"]
                    answer.Modality = series["modality"]
                    answer.NumberOfSeriesRelatedInstances = series["instances"]
                    yield 0xFF00, answer
            else:
                log.warning("C-FIND at level '%s' is not supported (STUDY or SERIES)", level)
                yield 0xA900, None

    def start(self) -> None:
        """Listen (in background threads)."""
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt

        ae = AE(ae_title=self.config.ae_title)
        ae.maximum_pdu_size = 0
        for uid in STORAGE_CLASSES.values():
            ae.add_supported_context(uid, ALL_TRANSFER_SYNTAXES)
        ae.add_supported_context(_VERIFICATION)
        ae.add_supported_context(_FIND)
        handlers: list[Any] = [
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_C_FIND, self._on_find),
            (evt.EVT_C_ECHO, lambda event: 0x0000),
            (evt.EVT_CONN_OPEN, _quick_reactor),
        ]
        self._recorder.start()
        if self.config.protocol is not None:
            self._processor.start()
        self._server = ae.start_server(
            (self.config.host, self.config.port), block=False, evt_handlers=handlers
        )
        log.info(
            "DICOM node %s listening on %s:%d, archive %s",
            self.config.ae_title,
            self.config.host,
            self.config.port,
            self.config.archive,
        )

    def stop(self) -> None:
        """Stop listening, write what is queued, close the database."""
        if self._server is not None:
            self._server.shutdown()
        self._queue.put(None)
        self._recorder.join(timeout=60)
        self._stopping.set()
        if self._processor.is_alive():
            self._processor.join(timeout=120)
        self.engine.dispose()
