"""The Textual app: one factory for the runtime, the tests and the snapshots (posting's shape).

`ShopdeskApp(services, operator=...)` runs on services built by the composition root (runtime.py).
`ShopdeskApp.for_store(path, ...)` opens its own store on the app's own loop, closed on exit — what
the SVG snapshots need, since `snap_compare` runs the app on a new event loop (STYLE §1.6).

Live: the app subscribes to `services.changes` (this process's writes, the API's included) and
polls the store's data_version every second (other processes' commits); both post CasesChanged,
which coalesces, is throttled, and is forwarded to every screen in the stack. New urgent or L3
cases raise a notification and, if configured, the bell.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import Notify, SeverityLevel

from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.kinds import KIND_LABELS_ZH
from shopdesk.domain.plain_text import plain as plain_str
from shopdesk.domain.workflow import is_active
from shopdesk.services.changes import Change
from shopdesk.tui import i18n
from shopdesk.tui.commands import RegistryProvider
from shopdesk.tui.i18n import t
from shopdesk.tui.messages import ApiStarted, ApiStopped, AutomaticMoves, CasesChanged

if TYPE_CHECKING:
    from shopdesk.config import Settings
    from shopdesk.domain.cases import Case
    from shopdesk.services import Services

ServicesFactory = Callable[[], Awaitable[tuple["Services", Callable[[], Awaitable[None]]]]]

POLL_SECONDS = 1.0  # another process's commit shows within 2 s
MIN_REFRESH_SECONDS = 0.25  # a burst of changes refreshes at most 4 times a second
CLOCK_REFRESH_SECONDS = 30.0  # SLA-left and age columns move with time
NEWEST_CHECKED = 50
ALERTS_LISTED = 5  # new-case alerts named in one toast; the rest are counted
ALERT_SECONDS = 10.0
# Changes shopdesk made by itself -> (the notice's catalog key, its title's).
AUTOMATIC_NOTICES: dict[str, tuple[str, str]] = {
    "detection": ("notice.detected", "view.detected"),
    "detection_cleared": ("notice.cleared", "event.cleared"),
    "escalation": ("notice.escalated", "event.escalated"),
}
# Toasts are short-lived and do not pile up over the queue's last rows (QA F19): a new one replaces
# the one of the same kind (severity and title) still showing, at most MAX_TOASTS show at once
# (the oldest that is not an error goes first), and errors stay longest, to be read.
TOAST_SECONDS: dict[str, float] = {"information": 4.0, "warning": 6.0, "error": 12.0}
MAX_TOASTS = 3


class ShopdeskApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "shopdesk"
    COMMANDS = App.COMMANDS | {RegistryProvider}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", show=False, priority=True, id="ctrl_c_quit"),
    ]

    def __init__(
        self,
        services: Services | None = None,
        *,
        operator: str,
        api_note: str | None = None,
        lang: str | None = None,
        services_factory: ServicesFactory | None = None,
        poll_seconds: float = POLL_SECONDS,
        notice: str | None = None,
        freeze_heap: bool = False,
    ) -> None:
        if services is None and services_factory is None:
            raise ValueError("ShopdeskApp needs services or a services_factory")
        settings_lang = services.settings.lang if services is not None else None
        i18n.set_language(i18n.detect_language(lang or settings_lang))
        super().__init__()
        self.services = services
        self.operator = operator
        self.api_note = api_note
        self.notice = notice  # said once at start (e.g. why the API is off)
        self._services_factory = services_factory
        self._close_services: Callable[[], Awaitable[None]] | None = None
        self._poll_seconds = poll_seconds
        self._unsubscribe: Callable[[], None] | None = None
        self._data_version: int | None = None
        self._last_refresh = 0.0
        self._refresh_timer = None
        self._max_seen_id: int | None = None
        self._exit_requested = False
        self._heap_frozen = not freeze_heap  # only the real process freezes (not every test)
        self._alerts_again = False
        self.alerts: list[str] = []  # texts of the new-case notifications raised (for tests)
        self._recent_alerts: list[tuple[float, str]] = []  # (monotonic time, text) in the toast
        self.activity_mark: int | None = None  # the last timeline line looked at (L activity)
        self._noticed_id: int | None = None  # the last line a desk notice covered
        self.activity_notices: list[str] = []  # texts of the activity notices raised (for tests)

    @classmethod
    def for_store(
        cls,
        path: str | Path,
        *,
        operator: str,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        lang: str | None = None,
        api_note: str | None = None,
        freeze_heap: bool = False,
    ) -> ShopdeskApp:
        """An app that opens the store at `path` on its own loop and closes it on exit."""

        async def open_services():
            from shopdesk.services import Services, utc_now

            services = await Services.open(path, settings, clock=clock or utc_now)
            return services, services.aclose

        lang = lang or (settings.lang if settings is not None else None)
        return cls(None, operator=operator, api_note=api_note, lang=lang,
                   services_factory=open_services, freeze_heap=freeze_heap)

    # --- life ------------------------------------------------------------------------------------

    async def on_mount(self) -> None:
        from shopdesk.tui.screens.queue import QueueScreen

        if self.services is None:
            assert self._services_factory is not None
            self.services, self._close_services = await self._services_factory()
        if not self.is_headless and self.console.color_system in ("standard", "windows"):
            self.theme = "ansi-dark"  # 16 colours: the terminal's own palette reads best
        self.sub_title = self.services.settings.shop_name
        self._unsubscribe = self.services.changes.subscribe(self._on_change)
        await self.services.operators.load()  # roles live in the store (services/operators.py)
        self._data_version = await self.services.data_version()
        await self.push_screen(
            QueueScreen(self.services, operator=self.operator, api_note=self.api_note)
        )
        self.set_interval(self._poll_seconds, self._poll_store, name="poll-store")
        self.set_interval(CLOCK_REFRESH_SECONDS, self._clock_tick, name="clock")
        self.run_worker(self._check_new_cases(), group="alerts", exit_on_error=False)
        if self.notice:
            self.notify(self.notice, severity="warning", timeout=15)
        if self._exit_requested:
            self.exit(0)

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._close_services is not None:
            await self._close_services()
            self._close_services = None

    def action_quit(self) -> None:
        """ctrl+c: quit, but ask first when a form holds typed text (QA N18)."""
        from shopdesk.tui.quit_guard import quit_or_ask

        quit_or_ask(self)

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for an unhandled error (the app then exits with code 1): the traceback
        goes to the log file first, since the terminal's copy is gone with an SSH session."""
        logging.getLogger(__name__).critical(
            "the app ends on an unhandled error", exc_info=(type(error), error, error.__traceback__)
        )
        super()._handle_exception(error)

    # --- notifications -------------------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Textual's notify, with a timeout by severity unless one is given. Never markup (shopdesk's
        messages have none; names, summaries and errors in them are shown as written) and no
        control characters (`markup` is there for Textual's callers and ignored)."""
        if timeout is None:
            timeout = TOAST_SECONDS.get(severity, self.NOTIFICATION_TIMEOUT)
        super().notify(plain_str(message, multiline=True), title=plain_str(title),
                       severity=severity, timeout=timeout, markup=False)

    def _on_notify(self, event: Notify) -> None:
        """Before App's own handler adds the new toast: the older one of its kind goes, and the
        oldest beyond MAX_TOASTS (errors last)."""
        new = event.notification
        showing = []
        for old in list(self._notifications):
            if (old.severity, old.title) == (new.severity, new.title):
                self._unnotify(old, refresh=False)
            else:
                showing.append(old)
        while len(showing) >= MAX_TOASTS:
            errors_last = sorted(showing, key=lambda n: (n.severity == "error", n.raised_at))
            self._unnotify(errors_last[0], refresh=False)
            showing.remove(errors_last[0])

    def startup_settled(self) -> None:
        """The queue is on screen: move what start-up built out of the collector's way.

        Textual's and shopdesk's start-up objects (CSS, widgets, modules) live as long as the app;
        frozen, a full collection no longer walks them (measured: 80-130 ms pauses of the event
        loop under intake load become ~35 ms)."""
        if not self._heap_frozen:
            self._heap_frozen = True
            gc.collect()
            gc.freeze()

    def request_exit(self) -> None:
        """End the app (a signal handler's call): now if it runs, else as soon as it has mounted."""
        self._exit_requested = True
        if self.is_running:
            self.exit(0)

    # --- live --------------------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        """services.changes callback; may run in an API request's task: only post a message."""
        if change.what in AUTOMATIC_NOTICES:  # automatic moves are never silent
            self.post_message(AutomaticMoves(what=change.what, refs=tuple(
                ref for ref in change.ref.split(",") if ref)))
        self.post_message(CasesChanged(whats=frozenset({change.what}),
                                       refs=frozenset({change.ref} if change.ref else ())))

    def on_automatic_moves(self, message: AutomaticMoves) -> None:
        """'3 cases escalated: SLA breached' — what the sweep or detection did, as a notice."""
        refs = list(message.refs)
        shown = ", ".join(refs[:5]) + (" …" if len(refs) > 5 else "")
        key, title = AUTOMATIC_NOTICES[message.what]
        # titled: a toast of another kind does not replace it (kinds are severity and title)
        self.notify(t(key, count=len(refs), refs=shown), severity="warning", title=t(title),
                    timeout=ALERT_SECONDS, markup=False)

    async def _poll_store(self) -> None:
        if self.services is None:
            return
        version = await self.services.data_version()
        if version is None:  # the store is closing
            return
        if version != self._data_version:
            self._data_version = version
            # Another process committed: perhaps a shop setting (`shopdesk config set`), taken
            # live; the due times follow in batches while the screens go on reading.
            if await self.services.settings_changed():
                self.run_worker(self.services.cases.ensure_due_times(), group="recompute",
                                exit_on_error=False)
            with contextlib.suppress(Exception):  # an owner changed a role (or the store is closing)
                await self.services.operators.load()
            self.post_message(CasesChanged(whats=frozenset({"store"})))

    def _clock_tick(self) -> None:
        self.post_message(CasesChanged(whats=frozenset({"clock"})))

    def on_cases_changed(self, message: CasesChanged) -> None:
        if "settings" in message.whats and self.services is not None:
            self.sub_title = self.services.settings.shop_name
            self.notify(t("settings.changed"))
        waited = time.monotonic() - self._last_refresh
        if waited < MIN_REFRESH_SECONDS:
            if self._refresh_timer is None:
                self._refresh_timer = self.set_timer(
                    MIN_REFRESH_SECONDS - waited, self._refresh_screens, name="refresh"
                )
            return
        self._refresh_screens()

    def _refresh_screens(self) -> None:
        self._refresh_timer = None
        self._last_refresh = time.monotonic()
        for screen in self.screen_stack:
            screen.post_message(CasesChanged(whats=frozenset({"refresh"})))
        if not any(worker.group == "alerts" and not worker.is_finished
                   for worker in self.workers):
            self.run_worker(self._check_new_cases(), group="alerts", exit_on_error=False)
        else:
            self._alerts_again = True

    async def _check_new_cases(self) -> None:
        """Notify (and ring) for cases opened since the last look that are urgent or L3."""
        services = self.services
        if services is None:
            return
        self._alerts_again = True
        while self._alerts_again:  # a change that came in while this ran is looked at too
            self._alerts_again = False
            await self._alert_new_cases(services)
            await self._notice_activity(services)

    async def _notice_activity(self, services: Services) -> None:
        """Nothing changes silently: a notice for lines the desk itself wrote since the last one
        (escalations by the sweep, cases intake or detection opened, failures to send); urgent
        and L3 cases opened have their own alert. The first look covers the last session's gap."""
        from shopdesk.tui.screens.activity import summary

        activity = getattr(services, "activity", None)
        operator = self.operator if isinstance(self.operator, str) else self.operator.name
        if activity is None:
            return
        if self._noticed_id is None:
            latest = await activity.latest()
            seen = await activity.seen(operator)
            if seen is None:  # the first session: nothing to catch up on
                with contextlib.suppress(Exception):  # a read-only file
                    await activity.mark_seen(operator, latest)
                seen = latest
            self.activity_mark = seen
            self._noticed_id = seen
        events = await activity.since(self._noticed_id, not_by=operator)
        if not events:
            return
        self._noticed_id = max(event.id for event in events)
        desk = [event for event in events if activity.by_the_desk(event)
                and not (event.type == "opened" and (event.data.get("urgent")
                                                     or int(event.data.get("level") or 1) >= 3))]
        if not desk:
            return
        text = t("activity.notice", what=summary(desk))
        self.activity_notices.append(text)
        self.notify(text, title=t("activity.notice_title"), severity="information", timeout=12)

    async def _alert_new_cases(self, services: Services) -> None:
        self._data_version = await services.data_version()
        newest = await services.cases.list(CaseFilter(), sort="newest", limit=NEWEST_CHECKED)
        highest = max((case.id for case in newest), default=0)
        if self._max_seen_id is None:
            self._max_seen_id = highest
            return
        fresh = [case for case in newest if case.id > self._max_seen_id]
        self._max_seen_id = max(self._max_seen_id, highest)
        alerts = [c for c in fresh if is_active(c.status) and (c.urgent or c.level >= 3)]
        if not alerts:
            return
        texts = [self._alert_text(case) for case in reversed(alerts)]  # oldest first
        self.alerts.extend(texts)
        # One toast names the cases of every alert still showing: the new one replaces it.
        now = time.monotonic()
        self._recent_alerts = [(at, text) for at, text in self._recent_alerts
                               if now - at < ALERT_SECONDS] + [(now, text) for text in texts]
        recent = [text for _, text in self._recent_alerts]
        lines = recent[-ALERTS_LISTED:]
        if len(recent) > ALERTS_LISTED:
            lines.append(t("alert.more", count=len(recent) - ALERTS_LISTED))
        self.notify("\n".join(lines), title=t("alert.title"), severity="warning",
                    timeout=ALERT_SECONDS, markup=False)  # names as typed, not markup
        if services.settings.bell:
            self.bell()

    def _alert_text(self, case: Case) -> str:
        kind = KIND_LABELS_ZH.get(case.kind, case.kind) if i18n.language() == "zh" else (
            case.kind.replace("_", " "))
        marks = []
        if case.urgent:
            marks.append(t("alert.urgent"))
        if case.level >= 3:
            marks.append("L3")
        who = case.customer.name or case.order_number
        return t("alert.new_case", ref=case.ref, marks=" ".join(marks), kind=kind, who=who).strip()

    # --- the API's state ---------------------------------------------------------------------------

    def on_api_stopped(self, message: ApiStopped) -> None:
        self.notify(t("app.api_stopped", reason=message.reason), severity="error", timeout=30)
        self._set_api_note(t("app.api_off"))

    def on_api_started(self, message: ApiStarted) -> None:
        self.notify(message.notice, timeout=10)
        self._set_api_note(message.note)

    def _set_api_note(self, note: str) -> None:
        self.api_note = note
        for screen in self.screen_stack:
            setter = getattr(screen, "set_api_note", None)
            if setter is not None:
                setter(note)
