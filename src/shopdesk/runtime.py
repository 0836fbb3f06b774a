"""The composition root of `shopdesk` (STYLE §2.2): one loop, one store, one Services object, the
embedded API (uvicorn) and the Textual app.

1. File logging first, before uvicorn or Litestar exist (they would log to the terminal).
2. One store, one Services, handed to both front ends.
3. The API socket is bound here: a busy port is a branch, not a SystemExit from inside uvicorn.
   If the port is busy, /healthz says who holds it: the same store -> attach ("API: pid N",
   and a notice once); anything else -> run without the API and say so.
4. This process owns the signals: SIGTERM and SIGHUP end the app; the server drains in `finally`,
   then the store closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shopdesk import logs, paths
from shopdesk.domain.errors import ShopdeskError
from shopdesk.tui import i18n
from shopdesk.tui.i18n import t

if TYPE_CHECKING:
    from shopdesk.config import Settings
    from shopdesk.services import Services

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0
ADOPT_SECONDS = 2.0  # an attached shopdesk checks this often whether the API's port came free
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_STORE_CREATED = {  # said once when the first run created the default store
    "en": "New empty store created at {path}",
    "zh": "已新建空的数据库：{path}",
}
_ENDED_ON_ERROR = {  # the one line on the terminal after a crash; the traceback is in the log
    "en": "shopdesk: stopped on an error; the details are in {path}",
    "zh": "shopdesk：因错误而退出，详情见日志 {path}",
}


@dataclass
class PortOwner:
    """Who answers /healthz on a busy port."""

    shopdesk: bool
    pid: int | None = None
    store: str | None = None


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host.strip("[]") else f"{host}:{port}"


def _fetch_health(host: str, port: int) -> PortOwner:
    url = f"http://{_address(host, port)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return PortOwner(shopdesk=False)
    if not isinstance(body, dict) or body.get("app") != "shopdesk":
        return PortOwner(shopdesk=False)
    pid = body.get("pid")
    return PortOwner(shopdesk=True, pid=pid if isinstance(pid, int) else None,
                     store=body.get("store") if isinstance(body.get("store"), str) else None)


async def port_owner(host: str, port: int) -> PortOwner:
    return await asyncio.to_thread(_fetch_health, host, port)


def same_store(owner: PortOwner, store_path: Path) -> bool:
    if not owner.shopdesk or not owner.store:
        return False
    try:
        return Path(owner.store).resolve() == store_path.resolve()
    except OSError:
        return False


class ApiHandle:
    """The embedded API while it runs: server, task, socket and the sweep beside it (whoever
    serves the API sweeps the store: a TUI attached to another shopdesk's API does not)."""

    def __init__(self, server, task: asyncio.Task, sock, sweep: asyncio.Task) -> None:
        self.server = server
        self.task = task
        self.sock = sock
        self.sweep = sweep

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
        log.info("API stopped")


@dataclass
class ApiStart:
    """What start_api found: a running API, or why not, and whether another shopdesk serves it."""

    handle: ApiHandle | None
    note: str  # short, for the top bar
    notice: str | None = None  # longer, said once
    attached: bool = False  # another shopdesk serves this store: take over when it leaves


def _serve(services: Services, sock, log_path: Path) -> ApiHandle:
    from shopdesk.api.app import create_app
    from shopdesk.server import (
        EmbeddedServer,
        file_logging_config,
        sweep_forever,
        uvicorn_config,
    )

    try:
        api = create_app(services, logging_config=file_logging_config(log_path))
        server = EmbeddedServer(uvicorn_config(api))
    except BaseException:
        sock.close()
        raise
    task = asyncio.create_task(server.serve(sockets=[sock]), name="api")
    sweep = asyncio.create_task(sweep_forever(services), name="sweep")
    return ApiHandle(server, task, sock, sweep)


async def start_api(services: Services, settings: Settings, log_path: Path) -> ApiStart:
    """Serve the API in this loop if the port is free; else say who holds it."""
    host, port = settings.api.host, settings.api.port
    address = _address(host, port)
    try:
        from shopdesk.api import app as _api_app  # noqa: F401  (is the API in this build?)
        from shopdesk.server import bind_api_socket
    except ImportError as error:
        log.warning("API not available: %s", error)
        return ApiStart(None, t("api.unavailable"))
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
                            attached=True)
        log.warning("port %s is taken by %s; running without the API", address, owner)
        return ApiStart(None, t("app.api_off"), t("api.port_taken", address=address))
    try:
        handle = _serve(services, sock, log_path)
    except Exception as error:  # a broken API must not take the desk down with it
        log.exception("the API could not be built; running without it")
        return ApiStart(None, t("app.api_off"), t("app.api_stopped", reason=str(error)))
    log.info("serving %s on http://%s", services.store.path, address)
    return ApiStart(handle, t("api.serving", address=address))


async def adopt_api(services: Services, settings: Settings, log_path: Path,
                    every: float = ADOPT_SECONDS) -> ApiHandle:
    """While attached: once the serving shopdesk has gone and the port is free, serve it here."""
    from shopdesk.server import bind_api_socket

    host, port = settings.api.host, settings.api.port
    while True:
        await asyncio.sleep(every)
        try:
            sock = bind_api_socket(host, port)
        except ShopdeskError:
            continue
        if sock is None:
            continue
        handle = _serve(services, sock, log_path)
        log.info("the serving shopdesk left: now serving %s on http://%s",
                 services.store.path, _address(host, port))
        return handle


async def run(
    *,
    db_path: Path,
    settings: Settings,
    operator: str,
    lang: str | None = None,
    serve_api: bool = True,
    log_path: Path | None = None,
    headless: bool = False,
    new_store: bool = False,
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
                          stopping, requested, new_store)
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


async def _run(db_path, settings, operator, lang, serve_api, log_path, headless, stopping,
               requested, new_store) -> int:
    from shopdesk.services import Services
    from shopdesk.store import open_store
    from shopdesk.tui.app import ShopdeskApp
    from shopdesk.tui.messages import ApiStarted, ApiStopped

    async with open_store(db_path) as store:  # 2. one store, one Services
        services = Services(store, settings)
        started = ApiStart(None, t("api.disabled"))
        if serve_api:
            started = await start_api(services, settings, log_path)
        api = started.handle
        notice = started.notice
        if new_store:
            log.info("created a new empty store at %s (first run)", db_path)
            created = _STORE_CREATED[i18n.language()].format(path=db_path)
            notice = f"{created}\n{notice}" if notice else created
        tui = ShopdeskApp(services, operator=operator, api_note=started.note, lang=lang,
                          notice=notice, freeze_heap=True)

        def watch(handle: ApiHandle) -> None:
            def api_ended(task: asyncio.Task) -> None:
                if task.cancelled() or handle.server.should_exit:
                    return
                error = task.exception()
                reason = str(error) if error is not None else "stopped"
                log.error("the API ended while the app runs: %s", reason)
                tui.post_message(ApiStopped(reason))

            handle.task.add_done_callback(api_ended)

        if api is not None:
            watch(api)
        adopting: asyncio.Task | None = None
        if started.attached:
            adopting = asyncio.create_task(adopt_api(services, settings, log_path), name="adopt")

            def adopted(task: asyncio.Task) -> None:
                nonlocal api
                if task.cancelled() or task.exception() is not None:
                    if not task.cancelled():
                        log.error("could not take over the API: %s", task.exception())
                    return
                api = task.result()
                watch(api)
                address = _address(settings.api.host, settings.api.port)
                tui.post_message(ApiStarted(t("api.serving", address=address),
                                            t("api.taken_over", address=address)))

            adopting.add_done_callback(adopted)
        stopping.append(tui)
        if requested:
            tui.request_exit()
        try:
            await tui.run_async(headless=headless)
        finally:
            if adopting is not None and not adopting.done():
                adopting.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await adopting
            if api is not None:
                await api.stop()  # 5. drain in-flight webhooks, then stop
            intake = getattr(services, "intake", None)
            if intake is not None and hasattr(intake, "aclose"):
                await intake.aclose()
    log.info("stopped; store %s closed", db_path)
    return tui.return_code or 0
