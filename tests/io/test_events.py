"""List-mode event files: round trip and clear errors."""

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.errors import FileFormatError, MissingFieldError
from positrix.io.events import ListModeEvents, read_events, write_events

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _events(times=(0.5, 1.0, 9.9)):
    n = len(times)
    ids = np.arange(n)
    return ListModeEvents(
        ids,
        ids + 40000,
        ids,
        ids + 100,
        np.array(times),
        np.array([True, False, True][:n]),
        "inveon",
        START,
        10.0,
        "F-18",
    )


def test_round_trip_keeps_large_indices_times_and_flags(tmp_path):
    write_events(tmp_path / "e.npz", _events())
    back = read_events(tmp_path / "e.npz")
    # int32 storage: crystal 40000 survives (int16 would wrap it to a valid crystal)
    np.testing.assert_array_equal(back.crystal_1, [40000, 40001, 40002])
    np.testing.assert_allclose(back.time_s, [0.5, 1.0, 9.9])
    assert back.prompt.tolist() == [True, False, True]
    assert back.acquisition_start == START and back.duration_s == 10.0


def test_times_outside_the_acquisition_are_an_error(tmp_path):
    header = json.dumps(
        {
            "scanner": "inveon",
            "acquisition_start": START.isoformat(),
            "duration_s": 10.0,
            "nuclide": "F-18",
        }
    )
    ids = np.arange(3)
    np.savez(
        tmp_path / "us.npz",
        ring_1=ids,
        crystal_1=ids,
        ring_2=ids,
        crystal_2=ids + 100,
        time_ms=np.array([5e5, 1e6, 9e6]),
        header=np.array(header),
    )
    with pytest.raises(FileFormatError, match="time_ms"):
        read_events(tmp_path / "us.npz")
    np.savez(
        tmp_path / "f.npz",
        ring_1=ids * 1.5,
        crystal_1=ids,
        ring_2=ids,
        crystal_2=ids,
        header=np.array(header),
    )
    with pytest.raises(FileFormatError, match="not integers"):
        read_events(tmp_path / "f.npz")
    np.savez(tmp_path / "m.npz", ring_1=ids, header=np.array(header))
    with pytest.raises(MissingFieldError, match="crystal_1"):
        read_events(tmp_path / "m.npz")
