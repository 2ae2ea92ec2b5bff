from datetime import UTC, datetime, timedelta

import pytest

from positrix.errors import MissingFieldError
from positrix.physics.injection import Injection, net_injected_activity

T_HALF = 6586.2
T0 = datetime(2026, 2, 3, 10, 0, tzinfo=UTC)


def test_net_activity_decays_both_measurements_to_the_injection():
    # syringe 20 MBq one half-life before injection -> 10 MBq at injection;
    # residual 1 MBq one half-life after -> 2 MBq at injection; net 8 MBq (hand computed)
    net = net_injected_activity(
        "F-18",
        injection_time=T0,
        activity_before_bq=20e6,
        activity_before_time=T0 - timedelta(seconds=T_HALF),
        residual_bq=1e6,
        residual_time=T0 + timedelta(seconds=T_HALF),
    )
    assert net == pytest.approx(8e6, rel=1e-12)


def test_injection_activity_at_a_later_time():
    inj = Injection(nuclide=None, injection_time=T0, activity_before_bq=1e6)
    with pytest.raises(MissingFieldError, match="nuclide"):
        _ = inj.net_activity_bq
    from positrix.physics import get_nuclide

    inj = Injection(nuclide=get_nuclide("F-18"), injection_time=T0, activity_before_bq=4e6)
    assert inj.activity_at(T0 + timedelta(seconds=2 * T_HALF)) == pytest.approx(1e6, rel=1e-12)


def test_missing_activity_is_a_clear_error():
    from positrix.physics import get_nuclide

    inj = Injection(nuclide=get_nuclide("F-18"), injection_time=T0)
    with pytest.raises(MissingFieldError, match="activity_before_bq"):
        _ = inj.net_activity_bq
