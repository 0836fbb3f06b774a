"""Which targets apply to a case and where its due times fall."""

from datetime import UTC, datetime, timedelta

from shopdesk.config import Settings
from shopdesk.domain.sla import Pause
from shopdesk.domain.sla_policy import compute_dues, targets

POLICY = Settings().sla_policy()  # Asia/Shanghai, Mon-Fri 09:00-12:00 + 13:00-18:00
# Monday 2026-11-23 10:00 in Shanghai is 02:00 UTC.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def dues(**overrides):
    values = dict(
        level=2, kind="lost", urgent=False, status="open", opened_at=MONDAY_10,
        first_response_at=None, pauses=[],
    )
    values.update(overrides)
    return compute_dues(POLICY, **values)


def test_level_targets_in_business_time():
    first, resolution = targets(POLICY, level=2, kind="lost", urgent=False, opened_at=MONDAY_10)
    assert first == timedelta(hours=4)
    assert resolution == timedelta(hours=24)  # 3 business days of 8 hours
    result = dues()
    # 10:00 + 4 business hours with a lunch break = 15:00 local = 07:00 UTC
    assert result.first_response_due_at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    # three business days later, same clock time: Thursday 10:00 local
    assert result.resolution_due_at == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert result.due_at == result.first_response_due_at


def test_urgent_tightens_to_end_of_business_day_and_two_days():
    result = dues(level=1, urgent=True)
    # L1 is 1 business day for the first response; urgent means assessed the same day: 18:00
    assert result.first_response_due_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    # L1 resolution is 5 days; urgent confirmation within 2 business days: Wednesday 10:00
    assert result.resolution_due_at == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_a_kind_entry_wins_over_the_level():
    settings = Settings()
    settings.sla["lost"] = type(settings.sla["L1"])(first_response="30m", resolution="1d")
    first, resolution = targets(
        settings.sla_policy(), level=1, kind="lost", urgent=False, opened_at=MONDAY_10
    )
    assert (first, resolution) == (timedelta(minutes=30), timedelta(hours=8))


def test_after_the_first_response_the_resolution_clock_runs():
    result = dues(first_response_at=MONDAY_10 + timedelta(minutes=5))
    assert result.due_at == result.resolution_due_at


def test_waiting_pauses_the_running_clock_and_a_closed_pause_pushes_it_later():
    paused = dues(status="waiting", pauses=[Pause(start=MONDAY_10 + timedelta(hours=1))])
    assert paused.due_at is None
    resumed = dues(
        pauses=[Pause(start=MONDAY_10 + timedelta(hours=1), end=MONDAY_10 + timedelta(hours=2))]
    )
    assert resumed.first_response_due_at == dues().first_response_due_at + timedelta(hours=1)


def test_a_pause_after_the_target_was_missed_does_not_move_the_due_time():
    late_pause = Pause(start=MONDAY_10 + timedelta(hours=6), end=MONDAY_10 + timedelta(hours=7))
    assert dues(pauses=[late_pause]).first_response_due_at == dues().first_response_due_at


def test_resolved_cases_have_no_running_clock():
    assert dues(status="resolved").due_at is None


def test_a_reopen_starts_a_new_resolution_clock_from_the_reopen():
    reopened_at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # the next Monday 10:00
    waited = Pause(start=MONDAY_10, end=MONDAY_10 + timedelta(days=2))  # before the reopen
    result = dues(first_response_at=None, reopened_at=reopened_at, pauses=[waited])
    assert result.resolution_due_at == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # Thursday 10:00
    assert result.due_at == result.resolution_due_at  # the first response clock does not run
    # the first response clock as it was (the wait pushed it two days)
    assert result.first_response_due_at == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    # "eod" counts from where the resolution clock starts
    eod = Settings()
    eod.sla["L2"] = type(eod.sla["L2"])(first_response="4h", resolution="eod")
    late = compute_dues(eod.sla_policy(), level=2, kind="lost", urgent=False, status="open",
                        opened_at=MONDAY_10, first_response_at=MONDAY_10, pauses=[],
                        reopened_at=reopened_at)
    assert late.due_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # that Monday 18:00


def test_the_fingerprint_names_the_calendar_and_the_targets():
    from datetime import date

    from shopdesk.domain.sla_policy import fingerprint

    base = Settings()
    assert fingerprint(base.sla_policy()) == fingerprint(Settings().sla_policy())
    holiday = Settings(holidays=[date(2026, 11, 23)])
    saturday = Settings(business_hours={**base.business_hours, "sat": ["10:00-16:00"]})
    faster = Settings()
    faster.sla["L2"] = type(faster.sla["L2"])(first_response="2h", resolution="3d")
    zone = Settings(timezone="Asia/Tokyo")
    prints = {fingerprint(s.sla_policy()) for s in (base, holiday, saturday, faster, zone)}
    assert len(prints) == 5
    # the order holidays are listed in does not matter
    two = [date(2026, 10, 1), date(2026, 10, 2)]
    assert (fingerprint(Settings(holidays=two).sla_policy())
            == fingerprint(Settings(holidays=two[::-1]).sla_policy()))
