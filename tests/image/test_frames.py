from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image import FrameTable
from positrix.physics.decay import frame_decay_correction


def test_from_spec_and_derived_times():
    table = FrameTable.from_spec("10x10s, 6x30s,5x5min,1x1h")
    assert table.n_frames == 22
    assert table.start_s[10] == 100.0 and table.duration_s[10] == 30.0
    assert table.end_s[-1] == 100 + 180 + 1500 + 3600
    np.testing.assert_allclose(table.mid_s[:2], [5.0, 15.0])


def test_bad_specs_and_tables():
    with pytest.raises(PositrixError, match="10xs"):
        FrameTable.from_spec("10xs")
    with pytest.raises(PositrixError, match="overlap"):
        FrameTable([0.0, 5.0], [10.0, 10.0])
    with pytest.raises(PositrixError, match="negative"):
        FrameTable([0.0], [-1.0])


def test_decay_factors_to_a_datetime():
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    table = FrameTable.from_spec("3x60s", acquisition_start=start)
    factors = table.decay_correction_factors("F-18", reference=start)
    np.testing.assert_allclose(factors, frame_decay_correction("F-18", [0, 60, 120], 60.0))
    assert table.start_times()[2] == datetime(2026, 1, 1, 12, 2, tzinfo=UTC)
