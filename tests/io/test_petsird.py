"""PETSIRD list mode: round trip, the petsird package as reference reader, geometry, errors."""

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import petsird
import pytest
from petsird.helpers import are_detections_ordered
from petsird.helpers.geometry import get_detecting_box

from positrix.errors import FileFormatError, MissingFieldError, OverwriteError, PositrixError
from positrix.geometry import get_scanner
from positrix.io import petsird as petsird_io
from positrix.io.events import ListModeEvents, write_events
from positrix.io.petsird import (
    read_petsird,
    read_petsird_bins,
    scanner_from_petsird,
    scanner_to_petsird,
    write_petsird,
)
from positrix.io.petsird_geometry import (
    SPEED_OF_LIGHT_MM_PER_NS,
    crystal_to_detection_bin,
    element_positions_mm,
)
from tests.scanners import mini_scanner

START = datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=UTC)

# The package's example generator, made small: its header holds module-pair efficiencies
# that take minutes to read at full size.  It writes the file to stdout.
GENERATOR = """
import dataclasses
import petsird.helpers.generator as g
g.mtype0_def = dataclasses.replace(
    g.mtype0_def, num_crystals_per_module=(1, 2, 3), num_modules_along_ring=4
)
g.mtype1_def = dataclasses.replace(
    g.mtype1_def, num_crystals_per_module=(1, 2, 2), num_modules_along_ring=3
)
g.NUMBER_OF_TIME_BLOCKS = 3
g.COUNT_RATE = 40.0
g.generate()
"""


def _events(n=3000, scanner="inveon", duration_s=2.0, seed=0, geometry=None):
    geometry = geometry or get_scanner(scanner)
    rng = np.random.default_rng(seed)
    return ListModeEvents(
        rng.integers(0, geometry.n_rings, n),
        rng.integers(0, geometry.crystals_per_ring, n),
        rng.integers(0, geometry.n_rings, n),
        rng.integers(0, geometry.crystals_per_ring, n),
        rng.uniform(0.0, duration_s, n),  # unsorted on purpose
        rng.random(n) >= 0.25,
        scanner,
        START,
        duration_s,
        "F-18",
    )


def _package_events(path):
    """Every coincidence, read by the petsird package: header and column arrays."""
    rows = []
    with petsird.BinaryPETSIRDReader(str(path)) as reader:
        header = reader.read_header()
        for block in reader.read_time_blocks():
            if not isinstance(block, petsird.TimeBlock.EventTimeBlock):
                continue
            value = block.value
            for prompt, lists in ((True, value.prompt_events), (False, value.delayed_events)):
                for type_1, row in enumerate(lists):
                    for type_2, events in enumerate(row):
                        for event in events:
                            bin_1, bin_2 = event.detection_bins
                            rows.append(
                                (type_1, type_2, bin_1, bin_2, event.tof_idx,
                                 value.time_interval.start, prompt)
                            )  # fmt: skip
    columns = np.array(rows, dtype=np.int64).reshape(-1, 7).T
    return header, columns


def _assert_same_as_package(path):
    data = read_petsird_bins(path)
    header, columns = _package_events(path)
    ours = (data.type_1, data.type_2, data.bin_1, data.bin_2, data.tof_index, data.time_ms)
    for mine, theirs in zip((*ours, data.prompt), columns, strict=True):
        np.testing.assert_array_equal(mine.astype(np.int64), theirs)
    return data, header


def _expected(events, scanner, block_ms):
    """What reading back must give: larger detection bin first, sorted by (block, delayed)."""
    bin_1 = crystal_to_detection_bin(scanner, events.ring_1, events.crystal_1)
    bin_2 = crystal_to_detection_bin(scanner, events.ring_2, events.crystal_2)
    swap = bin_1 < bin_2
    ring_1 = np.where(swap, events.ring_2, events.ring_1)
    crystal_1 = np.where(swap, events.crystal_2, events.crystal_1)
    ring_2 = np.where(swap, events.ring_1, events.ring_2)
    crystal_2 = np.where(swap, events.crystal_1, events.crystal_2)
    block = np.rint(events.time_s * 1e9).astype(np.int64) // (block_ms * 1_000_000)
    order = np.argsort(block * 2 + ~events.prompt, kind="stable")
    columns = (ring_1, crystal_1, ring_2, crystal_2, block * block_ms / 1000.0, events.prompt)
    return [c[order] for c in columns]


# --------------------------------------------------------------------------------------
# Round trip


def test_round_trip_gives_the_events_at_the_time_block_resolution(tmp_path):
    events = _events()
    write_petsird(tmp_path / "e.petsird", events, time_block_ms=5)
    back = read_petsird(tmp_path / "e.petsird")
    expected = _expected(events, get_scanner("inveon"), 5)
    names = ("ring_1", "crystal_1", "ring_2", "crystal_2", "time_s", "prompt")
    for name, want in zip(names, expected, strict=True):
        np.testing.assert_array_equal(getattr(back, name), want, err_msg=name)
    assert (~back.prompt).sum() == (~events.prompt).sum() > 500  # delayeds survive
    assert back.scanner == "inveon" and back.nuclide == "F-18"
    assert back.acquisition_start == START and back.duration_s == 2.0
    assert back.metadata["time_block_ms"] == "5"


def test_events_in_petsird_order_come_back_identical(tmp_path):
    scanner = get_scanner("nanoscan")
    raw = _events(n=500, scanner="nanoscan", seed=3)
    ring_1, crystal_1, ring_2, crystal_2, time_s, prompt = _expected(raw, scanner, 1)
    events = replace(raw, ring_1=ring_1, crystal_1=crystal_1, ring_2=ring_2)
    events = replace(events, crystal_2=crystal_2, time_s=time_s, prompt=prompt)
    back = read_petsird(write_petsird(tmp_path / "n.bin", events))
    for name in ("ring_1", "crystal_1", "ring_2", "crystal_2", "time_s", "prompt"):
        np.testing.assert_array_equal(getattr(back, name), getattr(events, name))
    assert back.scanner == "nanoscan"


def test_time_blocks_tile_the_acquisition_and_the_duration_rounds_up_to_a_ms(tmp_path):
    events = replace(_events(n=50, duration_s=0.0105), time_s=np.full(50, 0.0105))
    data = read_petsird_bins(write_petsird(tmp_path / "d.bin", events, time_block_ms=2))
    assert data.counts["event_blocks"] == 6  # 0-2, …, 8-10, 10-11 ms
    assert data.duration_ms == 11 and data.time_block_ms == 2  # the last block is shorter
    assert set(data.time_ms.tolist()) == {10}  # an event at the very end: last block


def test_long_files_are_encoded_in_pieces_to_the_same_bytes(tmp_path, monkeypatch):
    events = _events(n=1000)
    whole = write_petsird(tmp_path / "whole.bin", events).read_bytes()
    monkeypatch.setattr(petsird_io, "_EVENTS_PER_WRITE", 64)  # ≥ 16 blocks or 64 events
    pieces = write_petsird(tmp_path / "pieces.bin", events).read_bytes()
    assert pieces == whole


def test_header_holds_windows_exam_and_nuclide(tmp_path):
    scanner = get_scanner("inveon")
    write_petsird(tmp_path / "h.bin", _events(n=10))
    with petsird.BinaryPETSIRDReader(str(tmp_path / "h.bin")) as reader:
        header = reader.read_header()
        for _ in reader.read_time_blocks():
            pass
    info = header.scanner
    assert info.model_name == "inveon"
    np.testing.assert_allclose(info.event_energy_bin_edges[0].edges, [350.0, 625.0])
    tof = info.tof_bin_edges[0][0].edges
    window_ns = (tof[-1] - tof[0]) * 2.0 / SPEED_OF_LIGHT_MM_PER_NS
    assert window_ns == pytest.approx(scanner.coincidence_window_ns, rel=1e-6)
    assert info.delayed_event_policy == petsird.CoincidencePolicy.REJECT_HIGHER_MULTIPLES
    moment = header.exam.start_of_acquisition.numpy_value
    assert moment == np.datetime64("2026-11-22T09:00:00.123456", "ns")
    code = header.exam.radiopharmaceuticals[0].radionuclide_code_sequence
    assert (code.code_value, code.code_meaning) == ("77004003", "^18^Fluorine")


def test_without_delayeds_the_delayed_policy_is_none(tmp_path):
    events = replace(_events(n=100), prompt=np.ones(100, bool))
    data = read_petsird_bins(write_petsird(tmp_path / "p.bin", events))
    assert data.header.scanner.delayed_event_policy == petsird.CoincidencePolicy.NONE
    assert data.prompt.all() and len(data) == 100


# --------------------------------------------------------------------------------------
# The petsird package as the reference


def test_the_petsird_package_reads_our_file_event_for_event(tmp_path):
    path = write_petsird(tmp_path / "e.bin", _events(n=2000), time_block_ms=3)
    data, header = _assert_same_as_package(path)
    assert header.scanner == scanner_to_petsird(get_scanner("inveon"))  # geometry intact
    assert len(data) == 2000 and (~data.prompt).sum() > 400
    assert all(
        are_detections_ordered([0, 0], a, b) for a, b in zip(data.bin_1, data.bin_2, strict=True)
    )


def test_generator_files_agree_with_the_package_reader(tmp_path):
    path = tmp_path / "generated.bin"
    with path.open("wb") as out:
        subprocess.run([sys.executable, "-c", GENERATOR], stdout=out, check=True, timeout=120)
    data, _ = _assert_same_as_package(path)
    assert len(data) > 100 and data.counts["event_blocks"] == 3
    assert set(np.unique(data.type_1)) >= {0, 1}  # two module types
    assert data.tof_index.max() > 0 and data.duration_ms == 3
    module, element, energy = data.expand(2)
    assert data.source == str(path)
    first = data.type_2 == 0  # type 0: 8 modules of 6 crystals, 3 energy bins
    assert module[first].max() < 8 and element[first].max() < 6 and energy[first].max() <= 2
    with pytest.raises(FileFormatError, match="module type 2") as caught:
        data.expand(1)  # the example generator lists type pair (1, x) twice
    assert str(path) in str(caught.value)
    with pytest.raises(PositrixError, match="2 module types") as caught:
        read_petsird(path)
    assert str(path) in str(caught.value) and "replicated_modules" in str(caught.value)


def test_other_time_blocks_singles_and_triples_are_skipped(tmp_path):
    info = scanner_to_petsird(mini_scanner(2))
    header = petsird.Header(scanner=info, exam=petsird.ExamInformation())
    transform = petsird.RigidTransformation(matrix=np.eye(3, 4, dtype=np.float32))
    pair = petsird.CoincidenceEvent
    event_block = petsird.EventTimeBlock(
        time_interval=petsird.TimeInterval(start=0, stop=7),
        single_events=[[petsird.SingleEvent(detection_bin=5, time_offset_in_time_block=9)]],
        prompt_events=[[[pair(detection_bins=[300, 2], tof_idx=0), pair(detection_bins=[9, 9])]]],
        delayed_events=[[[pair(detection_bins=[200, 100])]]],
        triple_events=[[[[petsird.TripleEvent(detection_bins=[1, 2, 3])]]]],
    )
    others = [
        petsird.TimeBlock.ExternalSignalTimeBlock(
            petsird.ExternalSignalTimeBlock(signal_id=2, signal_values=[1.5, 2.5])
        ),
        petsird.TimeBlock.BedMovementTimeBlock(petsird.BedMovementTimeBlock(transform=transform)),
        petsird.TimeBlock.GantryMovementTimeBlock(
            petsird.GantryMovementTimeBlock(transforms=[transform, transform])
        ),
        petsird.TimeBlock.DeadTimeTimeBlock(
            petsird.DeadTimeTimeBlock(
                alive_time_fractions=petsird.AliveTimeFractions(
                    singles_alive_time_fractions=[np.full(6, 0.9, np.float32)]
                )
            )
        ),
        petsird.TimeBlock.SinglesHistogramTimeBlock(
            petsird.SinglesHistogramTimeBlock(singles_per_detection_bin_histogram=[[2**40, 3]])
        ),
    ]
    later = petsird.EventTimeBlock(
        time_interval=petsird.TimeInterval(start=7, stop=14),
        prompt_events=[[[pair(detection_bins=[319, 0], tof_idx=0)]]],
    )
    path = tmp_path / "mixed.bin"
    with petsird.BinaryPETSIRDWriter(str(path)) as writer:
        writer.write_header(header)
        writer.write_time_blocks([petsird.TimeBlock.EventTimeBlock(event_block), *others])
        writer.write_time_blocks(iter([petsird.TimeBlock.EventTimeBlock(later)]))  # 1-chunks
    data, _ = _assert_same_as_package(path)
    assert data.bin_1.tolist() == [300, 9, 200, 319] and data.prompt.tolist() == [1, 1, 0, 1]
    assert data.time_ms.tolist() == [0, 0, 0, 7] and data.duration_ms == 14
    counts = data.counts
    assert counts["time_blocks"] == 7 and counts["event_blocks"] == 2
    assert counts["dead_time_blocks"] == counts["singles_histogram_blocks"] == 1
    assert (counts["singles"], counts["triples"], counts["quadruples"]) == (1, 1, 0)


# --------------------------------------------------------------------------------------
# Geometry


@pytest.mark.parametrize(
    "scanner", [get_scanner("inveon"), get_scanner("nanoscan"), mini_scanner(3)]
)
def test_crystal_positions_in_the_header_are_the_scanners(tmp_path, scanner):
    events = _events(n=5, scanner=scanner.name, geometry=scanner)
    path = write_petsird(tmp_path / "g.bin", events, scanner=scanner)
    with petsird.BinaryPETSIRDReader(str(path)) as reader:
        info = reader.read_header().scanner
        for _ in reader.read_time_blocks():
            pass
    positions = element_positions_mm(info)  # (module, element, 3)
    cpb = scanner.crystals_per_block
    module, element = np.indices(positions.shape[:2])
    ring, crystal = element // cpb, module * cpb + element % cpb
    expected = scanner.crystal_positions_mm()[ring, crystal]
    assert np.abs(positions - expected).max() < 1e-3
    # the box (the package's own geometry helper) is the crystal behind its front face
    width, height, depth = scanner.crystal_size_mm
    for module_index, element_index in ((0, 0), (3, 7), (module.max(), element.max())):
        angle = 2.0 * np.pi * module_index / scanner.blocks_per_ring  # the block faces it
        box = get_detecting_box(
            info,
            0,
            petsird.ExpandedDetectionBin(module_index=module_index, element_index=element_index),
        )
        corners = np.array([c.c for c in box.corners], dtype=np.float64)
        point = expected[module_index, element_index]
        radial = np.array([np.cos(angle), np.sin(angle), 0.0])
        shift = depth / 2.0 - scanner.mean_doi_mm
        np.testing.assert_allclose(corners.mean(axis=0), point + shift * radial, atol=1e-3)
        assert np.ptp(corners @ radial) == pytest.approx(depth, abs=1e-3)
        assert np.ptp(corners[:, 2]) == pytest.approx(height, abs=1e-3)
        assert np.ptp(corners[:, :2] @ [-radial[1], radial[0]]) == pytest.approx(width, abs=1e-3)


def test_scanners_are_recognised_from_their_petsird_description():
    for name in ("inveon", "nanoscan"):
        assert scanner_from_petsird(scanner_to_petsird(get_scanner(name))) == get_scanner(name)
    user = replace(
        mini_scanner(5, "bench-top"),
        transaxial_pitch_mm=3.2,  # 10 × 3.2 mm: the widest block 16 fit on 161 mm
        mean_doi_mm=3.3,
        energy_window_kev=(400.0, 590.0),
        coincidence_window_ns=4.1,
    )
    assert scanner_from_petsird(scanner_to_petsird(user)) == user
    wide = replace(get_scanner("inveon"), name="inveon-wide", energy_window_kev=(250.0, 750.0))
    assert scanner_from_petsird(scanner_to_petsird(wide)) == wide


def test_a_mirrored_module_layout_is_not_mistaken_for_the_scanner():
    info = scanner_to_petsird(get_scanner("inveon"))
    for transform in info.scanner_geometry.replicated_modules[0].transforms:
        transform.matrix[0, 1] *= -1.0  # rotate the other way round
        transform.matrix[1, 0] *= -1.0
    with pytest.raises(PositrixError, match="crystal positions differ") as caught:
        scanner_from_petsird(info, source="scan.bin")
    assert "scan.bin" in str(caught.value) and "replicated_modules[0].transforms" in str(
        caught.value
    )


def test_user_scanner_round_trip_and_scanner_checks(tmp_path):
    scanner = mini_scanner(4, "mini")
    events = _events(n=300, scanner="mini", geometry=scanner)
    path = write_petsird(tmp_path / "m.bin", events, scanner=scanner)
    recognised = read_petsird(path)
    given = read_petsird(path, scanner=scanner)
    assert recognised.scanner == given.scanner == "mini"
    np.testing.assert_array_equal(recognised.crystal_1, given.crystal_1)
    np.testing.assert_array_equal(
        np.sort(recognised.ring_1 + recognised.ring_2), np.sort(events.ring_1 + events.ring_2)
    )
    with pytest.raises(PositrixError, match="not of 'nanoscan'") as caught:
        read_petsird(path, scanner=get_scanner("nanoscan"))
    assert str(path) in str(caught.value) and "scanner_geometry" in str(caught.value)


def test_an_unrecognised_layout_is_read_with_a_matching_scanner(tmp_path):
    scanner = mini_scanner(2)
    info = scanner_to_petsird(scanner)
    shape = info.scanner_geometry.replicated_modules[0].object.detecting_elements.object.shape
    for corner in shape.corners:
        corner.c[1] += 0.5  # a box off its element origin: not a Positrix layout
    header = petsird.Header(
        scanner=info,
        exam=petsird.ExamInformation(start_of_acquisition=petsird.DateTime(10**18)),
    )
    block = petsird.EventTimeBlock(
        time_interval=petsird.TimeInterval(start=0, stop=1),
        prompt_events=[[[petsird.CoincidenceEvent(detection_bins=[25, 3])]]],
    )
    path = tmp_path / "other.bin"
    with petsird.BinaryPETSIRDWriter(str(path)) as writer:
        writer.write_header(header)
        writer.write_time_blocks([petsird.TimeBlock.EventTimeBlock(block)])
    with pytest.raises(PositrixError, match="not centred"):
        read_petsird(path)
    events = read_petsird(path, scanner=scanner)
    # bin 25 = module 1, element 5 = ring 0, crystal 10 + 5; bin 3 = ring 0, crystal 3
    assert (events.ring_1[0], events.crystal_1[0], events.crystal_2[0]) == (0, 15, 3)
    assert events.acquisition_start == datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
    with pytest.raises(PositrixError, match="modules × elements"):
        read_petsird(path, scanner=mini_scanner(3))


# --------------------------------------------------------------------------------------
# Bad input


@pytest.fixture(scope="module")
def good_file(tmp_path_factory):
    return write_petsird(tmp_path_factory.mktemp("good") / "good.bin", _events(n=400))


@pytest.mark.parametrize("keep", [0.5, 0.9, -1])
def test_a_truncated_stream_is_a_file_format_error(tmp_path, good_file, keep):
    content = good_file.read_bytes()
    head = len(content) - 400 * 7  # roughly where the events start
    cut = len(content) - 1 if keep == -1 else int(head + keep * (len(content) - head))
    (tmp_path / "cut.bin").write_bytes(content[:cut])
    with pytest.raises(FileFormatError, match="truncated") as caught:
        read_petsird(tmp_path / "cut.bin")
    assert "cut.bin" in str(caught.value) and "time_blocks" in str(caught.value)


@pytest.mark.parametrize("into_header", [-5000, 20000])  # cut in the schema, in the header
def test_a_truncated_header_is_a_file_format_error(tmp_path, good_file, into_header):
    schema_end = len(petsird.PETSIRDWriterBase.schema) + 12
    (tmp_path / "head.bin").write_bytes(good_file.read_bytes()[: schema_end + into_header])
    with pytest.raises(FileFormatError, match="header") as caught:
        read_petsird_bins(tmp_path / "head.bin")
    assert "head.bin" in str(caught.value)


def test_trailing_bytes_are_a_file_format_error(tmp_path, good_file):
    (tmp_path / "long.bin").write_bytes(good_file.read_bytes() + b"\x01\x02")
    with pytest.raises(FileFormatError, match="after the end"):
        read_petsird(tmp_path / "long.bin")


def test_other_files_are_not_petsird(tmp_path):
    write_events(tmp_path / "e.npz", _events(n=5))
    (tmp_path / "y.bin").write_bytes(b"yardl\x01\x00\x00\x00garbage")
    for name in ("e.npz", "y.bin", "absent.bin"):
        with pytest.raises(FileFormatError) as caught:
            read_petsird(tmp_path / name)
        assert name in str(caught.value)


def test_write_refuses_a_scanner_other_than_the_events(tmp_path):
    with pytest.raises(PositrixError, match="not 'nanoscan'") as caught:
        write_petsird(tmp_path / "x.bin", _events(n=5), scanner=get_scanner("nanoscan"))
    assert "field 'scanner'" in str(caught.value)
    assert not (tmp_path / "x.bin").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"crystal_1": np.full(5, 320)}, "crystal_1"),
        ({"ring_2": np.full(5, -1)}, "ring_2"),
        ({"time_s": np.full(5, 2.5)}, "time_s"),
        ({"scanner": "petscan-9000"}, "events.scanner"),
    ],
)
def test_bad_events_are_refused_naming_the_field(tmp_path, change, field):
    with pytest.raises(PositrixError) as caught:
        write_petsird(tmp_path / "x.bin", replace(_events(n=5), **change))
    assert f"field '{field}'" in str(caught.value) and "x.bin" in str(caught.value)


def test_time_blocks_are_whole_ms_and_files_are_not_overwritten(tmp_path, good_file):
    with pytest.raises(PositrixError, match="whole ms"):
        write_petsird(tmp_path / "x.bin", _events(n=5), time_block_ms=0.5)
    with pytest.raises(OverwriteError):
        write_petsird(good_file, _events(n=5))


def test_a_file_without_acquisition_start_needs_read_petsird_bins(tmp_path):
    header = petsird.Header(scanner=scanner_to_petsird(get_scanner("inveon")))
    path = tmp_path / "noexam.bin"
    with petsird.BinaryPETSIRDWriter(str(path)) as writer:
        writer.write_header(header)
        writer.write_time_blocks([])
    with pytest.raises(MissingFieldError, match="start of acquisition") as caught:
        read_petsird(path)
    assert "exam.start_of_acquisition" in str(caught.value)
    assert len(read_petsird_bins(path)) == 0


def test_acquisition_start_keeps_microseconds_in_any_time_zone(tmp_path):
    local = START.astimezone(timezone(timedelta(hours=-5)))
    events = replace(_events(n=3), acquisition_start=local)
    back = read_petsird(write_petsird(tmp_path / "tz.bin", events))
    assert back.acquisition_start == START and back.acquisition_start.microsecond == 123456
