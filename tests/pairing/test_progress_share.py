"""share_done: where a pairing's progress bar stands for each report (pure, no I/O)."""

from __future__ import annotations

from custom_components.orvibo_s20.pairing import AP_STEPS, SMARTLINK_STEPS, PairingStep, Progress, share_done


def test_each_step_an_equal_part_from_zero_to_one() -> None:
    shares = [share_done(AP_STEPS, Progress(step=step)) for step in AP_STEPS]
    assert shares[0] == 0.0 and shares[-1] == 1.0
    assert shares == sorted(shares) and len(set(shares)) == len(AP_STEPS)


def test_smartlink_moves_within_its_step_by_the_time_gone() -> None:
    def at(fraction: float) -> float | None:
        return share_done(SMARTLINK_STEPS, Progress(step=PairingStep.SMARTLINK, round=1, group=1, fraction=fraction))

    confirmed = share_done(SMARTLINK_STEPS, Progress(step=PairingStep.CONFIRMED))
    assert at(0.0) == 0.0
    assert at(0.0) < at(0.5) < at(1.0) == confirmed  # type: ignore[operator]


def test_a_step_of_the_other_method_is_not_placed() -> None:
    assert share_done(SMARTLINK_STEPS, Progress(step=PairingStep.SET_SSID)) is None
    assert share_done(AP_STEPS, Progress(step=PairingStep.SMARTLINK, fraction=0.5)) is None
