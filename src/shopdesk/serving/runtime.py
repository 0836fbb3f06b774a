"""The composition root of `shopdesk` (STYLE §2.2): one loop, one store, one Services object, the
embedded API (uvicorn) and the Textual app.

1. File logging first, before uvicorn or Litestar exist (they would log to the terminal).
2. One store, one Services, handed to both front ends.
3. The API socket is bound here: a busy port is a branch, not a SystemExit from inside uvicorn.
   If the port is busy, /healthz says who holds it: the same store -> attach ("API: pid N",
   and a notice once); anything else -> run without the API and say so.
   An attached TUI serves the API once its server leaves; a serving TUI hands it over to a
   `shopdesk serve` that asks for it (shopdesk.serving.handover) and attaches to it: the service wins.
4. This process owns the signals: SIGTERM and SIGHUP end the app; the server drains in `finally`,
   then the store closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shopdesk import logs, paths
from shopdesk.domain.errors import ShopdeskError
from shopdesk.serving import handover, who_serves
from shopdesk.serving.port_owner import PortOwner, port_owner, same_store
from shopdesk.serving.port_owner import address as _address
from shopdesk.tui import i18n
from shopdesk.tui.i18n import t

if TYPE_CHECKING:
    from shopdesk.config import Settings
    from shopdesk.services import Services

log = logging.getLogger(__name__)

ADOPT_SECONDS = 2.0  # an attached shopdesk checks this often whether the API's port came free
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_STORE_CREATED = {  # said once when the first run created the default store
    "en": "New empty store created at {path}",
    "zh": "已新建空的数据库：{path}",
}
_HANDED_OVER = {  # said when this TUI handed its API to `shopdesk serve`
    "en": "shopdesk serve (pid {pid}) took over the API on {address}; this desk is attached to it",
    "zh": "shopdesk serve（进程 {pid}）已接管 {address} 上的 API；本终端改为连接到它",
}
_OTHER_STORE = {  # the port is another store's shopdesk: say whose, not "something else"
    "en": "API off: {address} is served by shopdesk pid {pid} for another store, {store}",
    "zh": "API 未运行：{address} 由 shopdesk（进程 {pid}）为另一个数据库提供：{store}",
}
_ENDED_ON_ERROR = {  # the one line on the terminal after a crash; the traceback is in the log
    "en": "shopdesk: stopped on an error; the details are in {path}",
    "zh": "shopdesk：因错误而退出，详情见日志 {path}",
}


class ApiHandle:
    """The embedded API while it runs: server, task, socket and the sweep beside it (whoever
    serves the API sweeps the store: a TUI attached to another shopdesk's API does not)."""

    def __init__(self, server, task: asyncio.Task, sock, sweep: asyncio.Task,
                 store=None) -> None:
        self.server = server
        self.task = task
        self.sock = sock
        self.sweep = sweep
        self.store = store  # where this process is recorded as serving (who_serves.py)

    async def stop(self) -> None:
        self.sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.sweep
        if not self.task.done():
            self.server.should_exit = True  # stop accepting, drain in-flight requests
        try:
            await self.task
        except (Exception, asyncio.CancelledError, SystemExit):
            log.exception("the API server ended with an error")
        finally:
            self.sock.close()
        if self.store is not None:
            with contextlib.suppress(Exception):  # a closing store: /healthz tells the truth
                await who_serves.forget(self.store)
        log.info("API stopped")


@dataclass
class ApiStart:
    """What start_api found: a running API, or why not, and whether another shopdesk serves it."""

    handle: ApiHandle | None
    note: str  # short, for the top bar
    notice: str | None = None  # longer, said once
    attached: bool = False  # another shopdesk serves this store: take over when it leaves
    serving_pid: int | None = None  # while attached: the pid that serves


def _serve(services: Services, sock, log_path: Path) -> ApiHandle:
    from shopdesk.api.app import create_app
    from shopdesk.api.health import ROLE_STATE_KEY
    from shopdesk.serving.server import (
        EmbeddedServer,
        file_logging_config,
        upkeep_forever,
        uvicorn_config,
    )

    try:
        api = create_app(services, logging_config=file_logging_config(log_path))
        api.state[ROLE_STATE_KEY] = "tui"
        server = EmbeddedServer(uvicorn_config(api))
    except BaseException:
        sock.close()
        raise
    task = asyncio.create_task(server.serve(sockets=[sock]), name="api")
    sweep = asyncio.create_task(upkeep_forever(services), name="sweep")
    return ApiHandle(server, task, sock, sweep, services.store)


async def start_api(services: Services, settings: Settings, log_path: Path) -> ApiStart:
    """Serve the API in this loop if the port is free; else say who holds it."""
    host, port = settings.api.host, settings.api.port
    address = _address(host, port)
    try:
        from shopdesk.api import app as _api_app  # noqa: F401  (is the API in this build?)
        from shopdesk.serving.server import bind_api_socket
    except ImportError as error:
        log.warning("API not available: %s", error)
        return ApiStart(None, t("api.unavailable"))
    elsewhere = await who_serves.elsewhere(services.store, host, port)
    if elsewhere is not None:  # e.g. `shopdesk serve --port P`, this desk configured for another
        other, _ = elsewhere
        log.info("the API of %s is served by pid %s on %s: attaching", services.store.path,
                 other.pid, _address(other.host, other.port))
        return ApiStart(None, t("api.attached", pid=other.pid),
                        t("api.attached_notice", pid=other.pid), attached=True,
                        serving_pid=other.pid)
    try:
        sock = bind_api_socket(host, port)
    except ShopdeskError as error:
        log.warning("API not started: %s", error.detail)
        return ApiStart(None, t("app.api_off"), f"{t('app.api_off')}: {error.detail}")
    if sock is None:
        owner = await port_owner(host, port)
        if same_store(owner, services.store.path):
            log.info("API on %s is served by pid %s for this store: attaching", address, owner.pid)
            pid = owner.pid if owner.pid is not None else "?"
            return ApiStart(None, t("api.attached", pid=pid), t("api.attached_notice", pid=pid),
                            attached=True, serving_pid=owner.pid)
        log.warning("port %s is taken by %s; running without the API", address, owner)
        if owner.shopdesk:
            notice = _OTHER_STORE[i18n.language()].format(address=address, pid=owner.pid,
                                                          store=owner.store)
            return ApiStart(None, t("app.api_off"), notice)
        return ApiStart(None, t("app.api_off"), t("api.port_taken", address=address))
    try:
        handle = _serve(services, sock, log_path)
    except Exception as error:  # a broken API must not take the desk down with it
        log.exception("the API could not be built; running without it")
        return ApiStart(None, t("app.api_off"), t("app.api_stopped", reason=str(error)))
    await _record(services, host, port)
    log.info("serving %s on http://%s", services.store.path, address)
    return ApiStart(handle, t("api.serving", address=address))


async def _record(services: Services, host: str, port: int) -> None:
    try:
        await who_serves.record(services.store, host, port)
    except Exception:  # a busy store: others still find this API on its port
        log.warning("could not record in the store that this process serves its API",
                    exc_info=True)


async def adopt_api(services: Services, settings: Settings, log_path: Path,
                    every: float = ADOPT_SECONDS, *, serving_pid: int | None = None,
                    served_by: Callable[[PortOwner], None] | None = None) -> ApiHandle:
    """While attached: once the serving shopdesk has gone and the port is free, serve it here —
    unless a `shopdesk serve` has asked for the API and is about to bind it. Meanwhile
    `served_by(owner)` hears of another shopdesk serving this store in place of `serving_pid`
    (a service restarted at once, another desk took over)."""
    from shopdesk.serving.server import bind_api_socket

    host, port = settings.api.host, settings.api.port
    while True:
        await asyncio.sleep(every)
        try:
            if await handover.pending(services.store) is not None:
                continue
            elsewhere = await who_serves.elsewhere(services.store, host, port)
        except Exception:  # a busy or closing store: look again next time
            log.debug("could not read the handover request", exc_info=True)
            continue
        if elsewhere is not None:  # served at another address (who_serves.py): stay attached
            other, owner = elsewhere
            if served_by is not None and other.pid != serving_pid:
                serving_pid = other.pid
                served_by(owner)
            continue
        try:
            sock = bind_api_socket(host, port)
        except ShopdeskError:
            continue
        if sock is None:
            if served_by is not None:
                owner = await port_owner(host, port)
                if same_store(owner, services.store.path) and owner.pid not in (None, serving_pid):
                    serving_pid = owner.pid
                    served_by(owner)
            continue
        handle = _serve(services, sock, log_path)
        await _record(services, host, port)
        log.info("the serving shopdesk left: now serving %s on http://%s",
                 services.store.path, _address(host, port))
        return handle


async def wait_for_handover(services: Services,
                            every: float = handover.POLL_SECONDS) -> handover.HandoverRequest:
    """While serving: the request of a `shopdesk serve` for this process's API, once there is one."""
    me = os.getpid()
    while True:
        await asyncio.sleep(every)
        try:
            found = await handover.pending(services.store)
        except Exception:  # a busy or closing store: look again next time
            log.debug("could not read the handover request", exc_info=True)
            continue
        if found is not None and found.to == me:
            return found


class ApiKeeper:
    """This desk's part in its store's API for as long as the app runs: serving it until a
    `shopdesk serve` asks for it (then drain, hand it over and attach), attached to another
    shopdesk until that one leaves (then serve it), or neither (--no-api, port not ours).
    The TUI hears of each change as ApiStarted (top bar note + notification) or ApiStopped."""

    def __init__(self, services: Services, settings: Settings, log_path: Path, tui,
                 started: ApiStart) -> None:
        self._services = services
        self._settings = settings
        self._log_path = log_path
        self._tui = tui
        self._address = _address(settings.api.host, settings.api.port)
        self.handle = started.handle
        self._serving_pid = started.serving_pid  # while attached
        self._handing_over: asyncio.Future | None = None
        self._task: asyncio.Task | None = None
        if self.handle is not None:
            self._watch(self.handle)
        if self.handle is not None or started.attached:
            self._task = asyncio.create_task(self._keep(), name="api-keeper")

    def _watch(self, handle: ApiHandle) -> None:
        from shopdesk.tui.messages import ApiStopped

        def api_ended(task: asyncio.Task) -> None:
            if task.cancelled() or handle.server.should_exit:
                return
            error = task.exception()
            reason = str(error) if error is not None else "stopped"
            log.error("the API ended while the app runs: %s", reason)
            self._tui.post_message(ApiStopped(reason))

        handle.task.add_done_callback(api_ended)

    async def _keep(self) -> None:
        from shopdesk.tui.messages import ApiStarted

        while True:
            if self.handle is None:
                try:
                    self.handle = await adopt_api(self._services, self._settings, self._log_path,
                                                  serving_pid=self._serving_pid,
                                                  served_by=self._served_by)
                except Exception:
                    log.exception("could not take over the API")
                    return
                self._watch(self.handle)
                self._tui.post_message(ApiStarted(t("api.serving", address=self._address),
                                                  t("api.taken_over", address=self._address)))
            asked = await self._handover_requested(self.handle)
            if asked is None:
                return  # the server ended on its own: ApiStopped said so
            log.info("shopdesk serve (pid %s) asks for the API on %s: handing it over",
                     asked.by, self._address)
            self._handing_over = asyncio.ensure_future(self.handle.stop())
            await asyncio.shield(self._handing_over)  # an exit meanwhile still drains it
            self.handle = self._handing_over = None
            self._serving_pid = asked.by
            log.info("attached to shopdesk serve (pid %s) for %s", asked.by,
                     self._services.store.path)
            notice = _HANDED_OVER[i18n.language()].format(pid=asked.by, address=self._address)
            self._tui.post_message(ApiStarted(t("api.attached", pid=asked.by), notice))

    def _served_by(self, owner: PortOwner) -> None:
        """Attached, and another shopdesk serves now (e.g. the service restarted at once)."""
        from shopdesk.tui.messages import ApiStarted

        log.info("the API on %s is now served by pid %s (%s)", self._address, owner.pid,
                 owner.role or "shopdesk")
        self._serving_pid = owner.pid
        if owner.role == "serve":
            notice = _HANDED_OVER[i18n.language()].format(pid=owner.pid, address=self._address)
        else:
            notice = t("api.attached_notice", pid=owner.pid)
        self._tui.post_message(ApiStarted(t("api.attached", pid=owner.pid), notice))

    async def _handover_requested(self, handle: ApiHandle) -> handover.HandoverRequest | None:
        """A handover request for this process, or None when the server ends first."""
        waiting = asyncio.create_task(wait_for_handover(self._services), name="handover")
        try:
            await asyncio.wait([waiting, handle.task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not waiting.done():
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
        return waiting.result() if waiting.done() and not waiting.cancelled() else None

    async def stop(self) -> None:
        """At exit: stop watching, then drain and stop the API this process serves."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._handing_over is not None:
            with contextlib.suppress(Exception):
                await self._handing_over
        elif self.handle is not None:
            await self.handle.stop()


async def run(
    *,
    db_path: Path,
    settings: Settings,
    operator: str | None,
    lang: str | None = None,
    serve_api: bool = True,
    log_path: Path | None = None,
    headless: bool = False,
    new_store: bool = False,
    config_path: Path | None = None,
) -> int:
    """`shopdesk`: the TUI and (unless another shopdesk serves it) the API, until the app exits.
    `new_store`: the store does not exist yet (first run on the default store): say it was
    created."""
    log_path = log_path or paths.log_file()
    logs.configure_file_logging(log_path)  # 1. before uvicorn and Litestar exist
    i18n.set_language(i18n.detect_language(lang or settings.lang))
    log.info("starting shopdesk on %s as %s", db_path, operator)
    loop = asyncio.get_running_loop()
    stopping: list = []  # the app, once built
    requested: list[int] = []

    def stop(signum: int) -> None:
        log.info("received %s: ending", signal.Signals(signum).name)
        requested.append(signum)
        for app in stopping:
            app.request_exit()

    for signum in STOP_SIGNALS:  # 4. SSH hangup / kill -> clean exit, even while starting
        loop.add_signal_handler(signum, stop, signum)
    try:
        code = await _run(db_path, settings, operator, lang, serve_api, log_path, headless,
                          stopping, requested, new_store, config_path)
    except ShopdeskError:
        raise  # a refusal: one line by the CLI
    except Exception:
        log.exception("shopdesk ends on an unhandled error")
        code = 1
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    if code:  # the app logged its traceback (ShopdeskApp._handle_exception)
        log.error("shopdesk exited with an error (code %s)", code)
        print(_ENDED_ON_ERROR[i18n.language()].format(path=log_path), file=sys.stderr)
    return code


async def _identify(services, requested: str | None, new_store: bool):
    """(actor, note): who runs this TUI, from the OS account (services/operators.py). The account
    that creates the store is its first owner; one mapped to no operator reads, and is told how to
    be added. A --operator not mapped to this account is refused before anything starts."""
    from shopdesk.domain.operators import READER
    from shopdesk.services.operators import os_account

    account = os_account()
    if new_store:
        await services.operators.ensure_owner(account)
    actor = await services.operators.identify(account, requested)
    if actor.role != READER:
        return actor, None
    return actor, t("operators.reader", account=account)


async def _run(db_path, settings, operator, lang, serve_api, log_path, headless, stopping,
               requested, new_store, config_path=None) -> int:
    from shopdesk.services import Services
    from shopdesk.store import open_store
    from shopdesk.tui.app import ShopdeskApp

    async with open_store(db_path) as store:  # 2. one store, one Services
        services = Services(store, settings)
        await services.shop.load()  # the shop's settings are the store's
        settings = services.settings
        file_notes = services.shop.file_notes(config_path, await services.shop.stored_keys())
        for note in file_notes:
            log.warning("%s", note)
        actor, reader_note = await _identify(services, operator, new_store)
        operator = actor.name
        started = ApiStart(None, t("api.disabled"))
        if serve_api:
            started = await start_api(services, settings, log_path)
        notice = started.notice
        if new_store:
            log.info("created a new empty store at %s (first run)", db_path)
            created = _STORE_CREATED[i18n.language()].format(path=db_path)
            notice = f"{created}\n{notice}" if notice else created
        if file_notes:
            notice = "\n".join([*file_notes, *([notice] if notice else [])])
        if reader_note:
            notice = f"{reader_note}\n{notice}" if notice else reader_note
        tui = ShopdeskApp(services, operator=operator, api_note=started.note, lang=lang,
                          notice=notice, freeze_heap=True)

        keeper = ApiKeeper(services, settings, log_path, tui, started)
        stopping.append(tui)
        if requested:
            tui.request_exit()
        try:
            await tui.run_async(headless=headless)
        finally:
            await keeper.stop()  # 5. drain in-flight webhooks, then stop
            intake = getattr(services, "intake", None)
            if intake is not None and hasattr(intake, "aclose"):
                await intake.aclose()
            detection = getattr(services, "detection", None)
            if detection is not None:
                await detection.aclose()
    log.info("stopped; store %s closed", db_path)
    return tui.return_code or 0
