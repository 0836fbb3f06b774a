"""Incidents (紧急状态/突发事件): declare, a response team, link affected cases (by ref, by filter,
and new cases as they arrive), act on them all at once, stable, close, review.

A bulk action writes its cases many to a commit, each case's write a savepoint (the case service's
own transaction, nested): a refused case is undone alone and reported by ref while the rest go on;
the cases done are recorded with their run in the same commit, so a rerun of the same request
after a kill skips what was done and does the rest.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from shopdesk.domain import incidents as rules
from shopdesk.domain import kinds, workflow
from shopdesk.domain.cases import Actor, Case, Incident
from shopdesk.domain.errors import NotFoundError, ShopdeskError, ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.incidents import (
    BulkResult,
    Impact,
    LinkResult,
    Refused,
    Review,
    TeamMember,
)
from shopdesk.services.changes import Change
from shopdesk.services.operators import require_writer
from shopdesk.store import cases as case_rows
from shopdesk.store import incidents as incident_rows

if TYPE_CHECKING:
    import aiosqlite

    from shopdesk.services import Services

Progress = Callable[[int, int], None]
"""progress(cases handled so far, cases to handle) during a bulk action."""

BATCH_CASES = 200  # cases to a commit during a bulk action …
BATCH_SECONDS = 0.25  # … or fewer, so intake and other writers wait at most about this long


def parse_incident_ref(text: str) -> int | None:
    """I-0003, i-3, 3 -> 3."""
    text = text.strip().upper().removeprefix("I-").removeprefix("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


class IncidentService:
    def __init__(self, services: Services) -> None:
        self._services = services

    @property
    def _store(self):
        return self._services.store

    def _publish(self, incident: Incident, actor: Actor) -> None:
        self._services.changes.publish(Change(what="incident", ref=incident.ref, actor=actor.name))

    # --- declaring and reading ------------------------------------------------------------------

    async def declare(
        self,
        actor: Actor,
        *,
        title: str,
        type: str,
        level: int,
        description: str = "",
        owner: str | None = None,
        started_at: datetime | None = None,
    ) -> Incident:
        require_writer(actor)
        title = title.strip()
        if not title:
            raise ValidationError(
                "an incident needs a title", field="title", code="incident_title_needed"
            )
        if type not in kinds.INCIDENT_TYPES:
            raise ValidationError(
                f"unknown incident type {type!r}; expected one of: {', '.join(kinds.INCIDENT_TYPES)}",
                field="type",
                code="unknown_value",
                params={"input": "incident_type", "value": type,
                        "allowed": list(kinds.INCIDENT_TYPES)},
            )
        kinds.check_level(level)
        owner = (owner or "").strip() or actor.name
        now = self._services.now()
        async with self._store.transaction() as conn:
            incident_id = await incident_rows.insert_incident(
                conn, title=title, type=type, level=level, started_at=started_at or now,
                owner=owner, description=description.strip(), at=now,
            )
            await incident_rows.insert_event(
                conn, incident_id, at=started_at or now, actor=actor.name, type="declared",
                data={"title": title, "type": type, "level": level, "owner": owner},
            )
            incident = await incident_rows.get_incident(conn, incident_id)
            assert incident is not None
            await self._services.outbound.on_incident_declared(conn, incident)
        self._publish(incident, actor)
        return incident

    async def get(self, incident_id: int) -> Incident:
        incident = await incident_rows.get_incident(self._store.reader, incident_id)
        if incident is None:
            raise NotFoundError(
                f"no incident {incident_id}", field="incident", code="no_incident",
                params={"incident": incident_id},
            )
        return incident

    async def find(self, text: str) -> Incident:
        """The incident `text` names: I-0003, i-3 or 3."""
        incident_id = parse_incident_ref(str(text))
        if incident_id is None:
            raise NotFoundError(
                f"no incident {str(text).strip()!r} (say I-0003 or 3)", field="incident",
                code="no_incident", params={"incident": str(text).strip()},
            )
        return await self.get(incident_id)

    async def list(self) -> list[Incident]:
        return await incident_rows.list_incidents(self._store.reader)

    async def count_cases(self, incident_id: int) -> int:
        return await incident_rows.count_linked_cases(self._store.reader, incident_id)

    async def team(self, incident_id: int) -> list[TeamMember]:
        return await incident_rows.list_team(self._store.reader, incident_id)

    async def timeline(self, incident_id: int):
        return await incident_rows.list_events(self._store.reader, incident_id)

    # --- the response team --------------------------------------------------------------------

    async def add_member(self, actor: Actor, incident_id: int, *, operator: str, role: str,
                         phone: str = "") -> list[TeamMember]:
        """Add an operator to the response team (应急小组) with their role and phone; adding them
        again changes their role and phone."""
        operator, role, phone = rules.check_team_member(operator, role, phone)
        incident = await self.get(incident_id)
        rules.check_open(incident, "change the team of")
        now = self._services.now()
        async with self._store.transaction() as conn:
            await incident_rows.put_member(conn, incident_id, operator=operator, role=role,
                                           phone=phone, at=now)
            await incident_rows.insert_event(
                conn, incident_id, at=now, actor=actor.name, type="team_added",
                data={"operator": operator, "role": role, "phone": phone})
        self._publish(incident, actor)
        return await self.team(incident_id)

    async def remove_member(self, actor: Actor, incident_id: int, operator: str) -> list[TeamMember]:
        incident = await self.get(incident_id)
        now = self._services.now()
        async with self._store.transaction() as conn:
            if not await incident_rows.remove_member(conn, incident_id, operator.strip()):
                raise NotFoundError(f"{operator.strip()!r} is not on {incident.ref}'s team",
                                    field="operator")
            await incident_rows.insert_event(
                conn, incident_id, at=now, actor=actor.name, type="team_removed",
                data={"operator": operator.strip()})
        self._publish(incident, actor)
        return await self.team(incident_id)

    # --- linking ----------------------------------------------------------------------------------

    async def preview(self, case_filter: CaseFilter) -> int:
        """How many cases a link by this filter would name (before linking)."""
        return await self._services.cases.count(case_filter)

    async def link(self, actor: Actor, incident_id: int, case_filter: CaseFilter, *,
                   follow: bool = False) -> int:
        """Link every case matching the filter (e.g. open cases of carrier X); returns how many
        were linked now. With `follow`, new cases matching it join while the incident is active."""
        return (await self.link_filter(actor, incident_id, case_filter, follow=follow,
                                       refuse_empty=False)).linked

    async def link_filter(self, actor: Actor, incident_id: int, case_filter: CaseFilter, *,
                          follow: bool = True, refuse_empty: bool = True) -> LinkResult:
        """Link every case the filter matches. A filter that matches nothing is refused
        (field `filter`: nothing linked) unless `refuse_empty` is off."""
        incident = await self.get(incident_id)
        rules.check_open(incident, "link cases to")
        await self._services.cases.ensure_due_times()
        now = self._services.now()
        async with self._store.transaction() as conn:
            matching = await case_rows.list_cases(conn, case_filter, now, limit=1_000_000)
            if not matching and refuse_empty:
                raise ValidationError("no case matches the filter: nothing linked",
                                      field="filter", code="filter_matches_nothing")
            linked = await self._link_cases(conn, incident, matching, actor, now, "filter")
            if follow:
                await incident_rows.set_case_filter(conn, incident_id, case_filter)
            await incident_rows.insert_event(
                conn, incident_id, at=now, actor=actor.name, type="linked",
                data={"matched": len(matching), "linked": linked,
                      "filter": msgspec.to_builtins(case_filter), "follow": follow})
        self._publish(incident, actor)
        return LinkResult(matched=len(matching), linked=linked, follows=follow)

    async def link_refs(self, actor: Actor, incident_id: int, refs: list[str]) -> LinkResult:
        """Link the cases named; an unknown ref refuses them all (404 naming it)."""
        incident = await self.get(incident_id)
        rules.check_open(incident, "link cases to")
        cases = await self._cases_named(refs)
        now = self._services.now()
        async with self._store.transaction() as conn:
            linked = await self._link_cases(conn, incident, cases, actor, now, "ref")
            await incident_rows.insert_event(
                conn, incident_id, at=now, actor=actor.name, type="linked",
                data={"matched": len(cases), "linked": linked,
                      "refs": [case.ref for case in cases]})
        self._publish(incident, actor)
        return LinkResult(matched=len(cases), linked=linked)

    async def unlink(self, actor: Actor, incident_id: int, refs: list[str]) -> int:
        incident = await self.get(incident_id)
        rules.check_open(incident, "unlink cases from")
        cases = await self._cases_named(refs)
        now = self._services.now()
        unlinked = 0
        async with self._store.transaction() as conn:
            for case in cases:
                if await incident_rows.unlink_case(conn, incident_id, case.id):
                    await case_rows.insert_event(
                        conn, case.id, at=now, actor=actor.name, type="incident_unlinked",
                        data={"incident": incident.ref, "title": incident.title})
                    unlinked += 1
            await incident_rows.insert_event(
                conn, incident_id, at=now, actor=actor.name, type="unlinked",
                data={"unlinked": unlinked, "refs": [case.ref for case in cases]})
        self._publish(incident, actor)
        return unlinked

    async def _cases_named(self, refs: list[str]) -> list[Case]:
        wanted = [ref.strip() for ref in refs if ref.strip()]
        if not wanted:
            raise ValidationError("name at least one case", field="refs")
        found: list[Case] = []
        unknown: list[str] = []
        for ref in dict.fromkeys(wanted):
            try:
                found.append(await self._services.cases.find_one(ref))
            except NotFoundError:
                unknown.append(ref)
        if unknown:
            raise NotFoundError(f"no case {', '.join(unknown)}: nothing changed", field="refs",
                                code="no_case", params={"ref": ", ".join(unknown)})
        return list({case.id: case for case in found}.values())

    async def _link_cases(self, conn: aiosqlite.Connection, incident: Incident, cases: list[Case],
                          actor: Actor, now: datetime, by: str) -> int:
        linked = 0
        for case in cases:
            if await incident_rows.link_case(conn, incident.id, case.id, now, by):
                await case_rows.insert_event(
                    conn, case.id, at=now, actor=actor.name, type="incident_linked",
                    data={"incident": incident.ref, "title": incident.title},
                )
                linked += 1
        return linked

    async def any_following(self) -> bool:
        """Whether an active incident has a filter new cases join by (read before a case is
        opened; `join_on_arrival` then decides inside the opening transaction)."""
        return bool(await incident_rows.following(self._store.reader))

    async def join_on_arrival(self, conn: aiosqlite.Connection, case_id: int, actor: Actor,
                              now: datetime) -> list[Incident]:
        """In the transaction that opens a case: it joins each active incident whose filter it
        matches, with a note on its timeline. Called by the case service's open()."""
        joined = []
        for incident in await incident_rows.following(conn):
            assert incident.case_filter is not None
            if await incident_rows.case_matches(conn, incident.case_filter, case_id, now):
                await incident_rows.link_case(conn, incident.id, case_id, now, "arrival")
                await case_rows.insert_event(
                    conn, case_id, at=now, actor=actor.name, type="incident_linked",
                    data={"incident": incident.ref, "title": incident.title,
                          "note": f"joined {incident.ref} on arrival: it matches the "
                                  "incident's filter"},
                )
                joined.append(incident)
        return joined

    # --- bulk actions -----------------------------------------------------------------------------

    async def bulk(
        self,
        actor: Actor,
        incident_id: int,
        action: str,
        *,
        text: str = "",
        channel: str = "sms",
        template: str | None = None,
        progress: Progress | None = None,
    ) -> BulkResult:
        """Act on every linked case: `note` (text), `contact` (channel, template, text as the
        summary), `escalate` (text as the reason), `resolve` (text as the summary). One timeline
        event per case; a refused case is reported by ref and the rest go on."""
        if action not in rules.BULK_ACTIONS:
            raise ValidationError(
                f"unknown bulk action {action!r}; expected one of: {', '.join(rules.BULK_ACTIONS)}",
                field="action")
        incident = await self.get(incident_id)
        rules.check_open(incident, f"run a bulk {action} on")
        text = text.strip()
        call = self._case_call(actor, action, text, channel, template)
        params = msgspec.json.encode(
            {"text": text, "channel": channel if action == "contact" else None,
             "template": template if action == "contact" else None}).decode()
        now = self._services.now()
        async with self._store.transaction() as conn:
            run_id = await incident_rows.open_run(conn, incident_id, action, params)
            if run_id is None:
                run_id = await incident_rows.insert_run(conn, incident_id, action=action,
                                                        params=params, actor=actor.name, at=now)
        done_before = await incident_rows.run_done_case_ids(self._store.reader, run_id)
        linked = await incident_rows.linked_case_ids(self._store.reader, incident_id)
        todo = [case_id for case_id in linked if case_id not in done_before]
        result = BulkResult(run=run_id, action=action, total=len(linked), done=0,
                            done_before=len(done_before & set(linked)))
        refs = await case_rows.refs_of(self._store.reader, todo)
        handled = 0
        if progress:
            progress(0, len(todo))
        while True:
            started, done_now = time.monotonic(), []
            async with self._store.transaction() as conn:
                while handled < len(todo) and len(done_now) < BATCH_CASES and (
                        time.monotonic() - started < BATCH_SECONDS):
                    case_id = todo[handled]
                    handled += 1
                    ref = refs.get(case_id)
                    if ref is None:
                        continue  # unlinked and deleted meanwhile: nothing to do
                    try:
                        # One case service write: its own savepoint inside this commit, so a
                        # refusal undoes this case alone.
                        await call(ref)
                    except ShopdeskError as error:
                        result.refused.append(Refused(ref=ref, detail=error.detail))
                    else:
                        done_now.append(case_id)
                # Recorded in the same commit as the cases' events: done and marked, or neither.
                await incident_rows.mark_run_cases(conn, run_id, done_now)
                result.done += len(done_now)
                if handled >= len(todo):
                    await incident_rows.finish_run(conn, run_id, self._services.now())
                    await incident_rows.insert_event(
                        conn, incident_id, at=self._services.now(), actor=actor.name,
                        type="bulk",
                        data={"action": action, "run": run_id,
                              "done": result.done + result.done_before,
                              "refused": len(result.refused),
                              "refused_refs": [item.ref for item in result.refused][:50]})
            if progress:
                progress(handled, len(todo))
            self._publish(incident, actor)
            if handled >= len(todo):
                break
        return result

    def _case_call(self, actor: Actor, action: str, text: str, channel: str,
                   template: str | None) -> Callable[[str], Awaitable[Any]]:
        cases = self._services.cases
        if action == "note":
            _say(text, "text", "a note's text")
            return lambda ref: cases.add_note(actor, ref, text)
        if action == "escalate":
            _say(text, "text", "a reason to escalate")
            return lambda ref: cases.escalate(actor, ref, text)
        if action == "resolve":
            _say(text, "text", "a resolution summary")
            return lambda ref: cases.resolve(actor, ref, text)
        kinds.check_channel(channel)
        if template is None:
            _say(text, "text", "a contact's summary, or a template")
        else:
            from shopdesk.domain.templates import check_template

            check_template(template)
        return lambda ref: cases.log_contact(actor, ref, channel=channel, summary=text,
                                             template=template)

    # --- stable, close, review ----------------------------------------------------------------

    async def stable(self, actor: Actor, incident_id: int, *,
                     at: datetime | None = None) -> Incident:
        """Declared under control: the time to stable stops."""
        workflow.require_role(actor.role, "supervisor", "declaring an incident stable",
                              doing="incident_stable")
        incident = await self.get(incident_id)
        rules.next_status("stable", incident.status)
        now = at or self._services.now()
        async with self._store.transaction() as conn:
            await incident_rows.set_stable(conn, incident_id, now)
            await incident_rows.insert_event(conn, incident_id, at=now, actor=actor.name,
                                             type="stable", data={})
        self._publish(incident, actor)
        return await self.get(incident_id)

    async def close(self, actor: Actor, incident_id: int, *, cause: str, impact: str = "",
                    lessons: str = "", ended_at: datetime | None = None) -> Incident:
        """Close a stable incident with its review (总结与改进): cause, impact, lessons."""
        workflow.require_role(actor.role, "supervisor", "closing an incident",
                              doing="incident_close")
        incident = await self.get(incident_id)
        rules.next_status("close", incident.status)
        if not cause.strip():
            raise ValidationError("the review needs a cause", field="cause",
                                  code="review_cause_needed")
        now = ended_at or self._services.now()
        async with self._store.transaction() as conn:
            await incident_rows.close_incident(
                conn, incident_id, ended_at=now, review_cause=cause.strip(),
                review_impact=impact.strip(), review_changes=lessons.strip(),
            )
            await incident_rows.set_case_filter(conn, incident_id, None)
            await incident_rows.insert_event(conn, incident_id, at=now, actor=actor.name,
                                             type="closed", data={})
        self._publish(incident, actor)
        return await self.get(incident_id)

    async def end(self, actor: Actor, incident_id: int, *, cause: str, impact: str,
                  changes: str, ended_at: datetime | None = None) -> Incident:
        """Stable (if still active) and closed at `ended_at`, with the review."""
        incident = await self.get(incident_id)
        if incident.status == "active":
            await self.stable(actor, incident_id, at=ended_at)
        return await self.close(actor, incident_id, cause=cause, impact=impact, lessons=changes,
                                ended_at=ended_at)

    async def impact(self, incident: Incident) -> Impact:
        cases, orders, contacted, compensation = await incident_rows.impact(
            self._store.reader, incident.id, tuple(sorted(kinds.MONEY_REMEDIES)))
        stable = rules.time_to_stable(incident)
        return Impact(cases=cases, orders=orders, customers_contacted=contacted,
                      compensation=compensation,
                      time_to_stable_s=int(stable.total_seconds()) if stable else None)

    async def review(self, incident_id: int) -> Review:
        incident = await self.get(incident_id)
        return Review(incident=incident, impact=await self.impact(incident),
                      team=await self.team(incident_id), timeline=await self.timeline(incident_id))

    async def review_markdown(self, incident_id: int) -> str:
        from zoneinfo import ZoneInfo

        return rules.review_markdown(await self.review(incident_id),
                                     ZoneInfo(self._services.settings.timezone))

    async def review_csv(self, incident_id: int, *, bom: bool | None = None) -> str:
        """The review as CSV (section, item, value), safe against formula injection."""
        from zoneinfo import ZoneInfo

        from shopdesk.domain.csvsafe import BOM, LINE_END, neutralise

        rows = rules.review_rows(await self.review(incident_id),
                                 ZoneInfo(self._services.settings.timezone))
        lines = [",".join(_csv_cell(neutralise(cell)) for cell in row) for row in rows]
        use_bom = self._services.settings.csv_bom if bom is None else bom
        return (BOM if use_bom else "") + LINE_END.join(lines) + LINE_END


def _csv_cell(text: str) -> str:
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _say(text: str, field: str, what: str) -> None:
    if not text:
        raise ValidationError(f"{what} is required", field=field, code="required",
                              params={"input": field, "what": what})


ACTIVE_STATUSES: tuple[str, ...] = ("new", "open", "waiting", "escalated")


def link_filter_from_text(
    zone: str,
    *,
    carrier: str | None = None,
    kinds: list[str] | str | None = None,
    statuses: list[str] | str | None = None,
    source: str | None = None,
    shipped_from: str | None = None,
    shipped_to: str | None = None,
    place: str | None = None,
) -> CaseFilter:
    """The filter a link names, from the words a user typed (CLI, API, TUI): ship dates are days
    in the shop's zone (`shipped_to` included) or times; without statuses, the active cases.
    At least one criterion: an empty filter would link every case."""
    from shopdesk.services.exports import _split, filter_from_text, parse_moment

    base = filter_from_text(zone, statuses=statuses or list(ACTIVE_STATUSES), kinds=kinds,
                            carrier=carrier)
    start = parse_moment(shipped_from, zone, field="shipped_from") if shipped_from else None
    end = parse_moment(shipped_to, zone, field="shipped_to", end=True) if shipped_to else None
    if start is not None and end is not None and end <= start:
        raise ValidationError("shipped_to: the ship dates end before they start",
                              field="shipped_to")
    place = (place or "").strip() or None
    source = (source or "").strip() or None
    if not any((base.carrier, base.kinds, _split(statuses), source, start, end, place)):
        raise ValidationError(
            "say which cases: a carrier, kind, status, source, ship dates or a place",
            field="filter")
    return msgspec.structs.replace(base, source=source, shipped_from=start, shipped_to=end,
                                   place=place)
