"""The outbox: a message per hook written with the case event that causes it, delivered at least
once with the same id on every try, retried with backoff, failed for good when it cannot help,
and visible (count, timeline) when it fails."""

from __future__ import annotations

import time

import msgspec
import pytest
from outbound_helpers import open_case, sending, wait_until
from receivers import Receiver

from shopdesk.domain.errors import ConflictError, ValidationError
from shopdesk.domain.intake.signatures import verify_generic
from shopdesk.store import outbox as outbox_rows


async def statuses(services) -> list[str]:
    return [message.status for message in await services.outbound.list()]


async def test_a_case_event_and_its_message_are_written_together(services, monkeypatch):
    actor = services.actor("li.na")
    await services.outbound.add_hook(actor, "plugin", "http://127.0.0.1:9/hook")
    case = await open_case(services)
    [message] = await services.outbound.list()
    assert (message.event, message.status, message.case_ref) == ("case.opened", "pending", case.ref)

    original = outbox_rows.insert_message

    async def breaks(*args, **kwargs):
        await original(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox_rows, "insert_message", breaks)
    with pytest.raises(RuntimeError):
        await services.cases.escalate(actor, case.ref, "customer angry")
    # Neither the escalation nor its message: one transaction.
    assert (await services.cases.get(case.ref)).status == "new"
    assert [m.event for m in await services.outbound.list()] == ["case.opened"]


async def test_a_hook_takes_only_its_events_and_cases(services):
    actor = services.actor("li.na")
    await services.outbound.add_hook(actor, "urgent-chat", "http://127.0.0.1:9/a",
                                     format="wecom", events="case.opened", only="urgent,L3")
    await open_case(services)  # L1, not urgent: not for this hook
    await open_case(services, urgent=True)
    await open_case(services, level=3)
    assert [m.case_ref for m in await services.outbound.list()] == ["C-000003", "C-000002"]


async def test_unknown_events_filters_and_formats_are_refused_naming_the_field(services):
    actor = services.actor("li.na")
    with pytest.raises(ValidationError) as error:
        await services.outbound.add_hook(actor, "x", "http://127.0.0.1:9/", events="case.eaten")
    assert error.value.field == "events" and "case.eaten" in error.value.detail
    with pytest.raises(ValidationError) as error:
        await services.outbound.add_hook(actor, "x", "http://127.0.0.1:9/", only="L9")
    assert error.value.field == "only"
    with pytest.raises(ValidationError) as error:
        await services.outbound.add_hook(actor, "x", "http://127.0.0.1:9/", format="teams")
    assert error.value.field == "format"
    await services.outbound.add_hook(actor, "x", "http://127.0.0.1:9/")
    with pytest.raises(ConflictError):
        await services.outbound.add_hook(actor, "x", "http://127.0.0.1:9/")


async def test_three_failures_then_success_deliver_once_with_the_same_id(services):
    def behave(n, request):
        return (503, {}, b"busy") if n <= 3 else (200, {}, b'{"ok":true}')

    async with Receiver(behave) as receiver:
        await services.outbound.add_hook(services.actor("li.na"), "plugin", receiver.url,
                                         secret="whsec_plugin")
        case = await open_case(services)
        async with sending(services):
            await wait_until(lambda: _status_is(services, "sent"))
        [message] = await services.outbound.list()
        assert message.attempts == 4 and message.status == "sent"
        ids = {msgspec.json.decode(r.body)["id"] for r in receiver.requests}
        assert len(receiver.requests) == 4 and len(ids) == 1  # one delivery once deduped
        assert {r.headers["shopdesk-event-id"] for r in receiver.requests} == ids
        body = msgspec.json.decode(receiver.requests[-1].body)
        assert body["type"] == "case.opened" and body["case"]["ref"] == case.ref
        assert body["case"]["order"] == {"source": "api", "external_id": "1001",
                                         "number": "SO-1001"}
        for request in receiver.requests:  # signed like an inbound generic webhook
            verify_generic(request.headers["shopdesk-signature"], request.body,
                           ["whsec_plugin"], now=int(time.time()))


async def _status_is(services, status):
    return [m for m in await services.outbound.list() if m.status == status]


async def test_a_receiver_that_hangs_times_out_and_is_tried_again(services):
    async with Receiver(lambda n, request: "hang" if n == 1 else (200, {}, b"ok")) as receiver:
        await services.outbound.add_hook(services.actor("li.na"), "plugin", receiver.url)
        await open_case(services)
        async with sending(services, total_seconds=0.5):
            await wait_until(lambda: _status_is(services, "sent"))
        [message] = await services.outbound.list()
        assert message.attempts == 2 and len(receiver.requests) == 2


async def test_a_redirect_is_not_followed_and_the_failure_shows(services):
    async with Receiver(lambda n, request: (302, {"Location": "http://127.0.0.1:9/elsewhere"},
                                            b"")) as receiver:
        await services.outbound.add_hook(services.actor("li.na"), "plugin", receiver.url)
        case = await open_case(services)
        async with sending(services):
            [failed] = await wait_until(lambda: _status_is(services, "failed"))
        assert len(receiver.requests) == 1  # and nothing went to /elsewhere
        assert "redirect" in failed.last_error and "not followed" in failed.last_error
        assert await services.outbound.failed_count() == 1
        timeline = (await services.cases.detail(case.ref)).events
        assert timeline[-1].type == "hook_failed"
        assert timeline[-1].data["to"] == "plugin" and "redirect" in timeline[-1].data["answer"]
        assert (await services.outbound.list(failed=True))[0].id == failed.id

        receiver.behave = lambda n, request: (200, {}, b"ok")
        await services.outbound.retry(services.actor("zhou.min"), failed.id)
        async with sending(services):
            await wait_until(lambda: _status_is(services, "sent"))
        assert await services.outbound.failed_count() == 0


async def test_a_message_failing_for_a_day_fails_for_good(services):
    async with Receiver(lambda n, request: (500, {}, b"down")) as receiver:
        await services.outbound.add_hook(services.actor("li.na"), "plugin", receiver.url)
        await open_case(services)
        async with sending(services):
            await receiver.wait_for(2)
            assert await statuses(services) in (["pending"], ["sending"])
            services.clock.advance(days=1)
            [failed] = await wait_until(lambda: _status_is(services, "failed"))
        assert "HTTP 500" in failed.last_error


async def test_a_sender_stopped_mid_send_sends_again_with_the_same_id(services):
    async with Receiver(lambda n, request: "hang" if n == 1 else (200, {}, b"ok")) as receiver:
        await services.outbound.add_hook(services.actor("li.na"), "plugin", receiver.url)
        await open_case(services)
        async with sending(services):
            await receiver.wait_for(1)
        assert await statuses(services) == ["sending"]  # stopped mid-send: not recorded
        async with sending(services):
            await wait_until(lambda: _status_is(services, "sent"))
        first, second = receiver.requests
        assert msgspec.json.decode(first.body)["id"] == msgspec.json.decode(second.body)["id"]


async def test_cancel_and_retry_refuse_what_they_cannot_do(services):
    actor = services.actor("li.na")
    await services.outbound.add_hook(actor, "plugin", "http://127.0.0.1:9/hook")
    await open_case(services)
    [message] = await services.outbound.list()
    with pytest.raises(ValidationError, match="only a failed message"):
        await services.outbound.retry(actor, message.id)
    cancelled = await services.outbound.cancel(actor, message.id)
    assert cancelled.status == "cancelled" and cancelled.done_by == "li.na"
    with pytest.raises(ValidationError):
        await services.outbound.cancel(actor, message.id)


async def test_removing_a_hook_cancels_what_it_had_not_sent(services):
    actor = services.actor("li.na")
    await services.outbound.add_hook(actor, "plugin", "http://127.0.0.1:9/hook")
    await open_case(services)
    assert await services.outbound.remove_hook(actor, "plugin") == 1
    assert await statuses(services) == ["cancelled"]
