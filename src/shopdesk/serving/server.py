"""Serving the HTTP API with uvicorn inside a loop that someone else owns (STYLE §2).

- `EmbeddedServer` is uvicorn without its own signal handling: the composition root (runtime.py for
  the TUI, `serve_api` for `shopdesk serve`) installs the handlers and sets `should_exit`, which
  makes uvicorn stop accepting, drain in-flight requests and return.
- `bind_api_socket` binds the listening socket ourselves, so a busy port is a branch (None), not a
  `SystemExit` raised from inside uvicorn's startup into the shared loop.
- `file_logging_config` is the Litestar logging config that writes to the log file only: Litestar's
  default config installs a console StreamHandler that would write over the TUI.
- `claim_port` is how `shopdesk serve` gets its port: free -> bound; served by a terminal UI on the
  same store -> that TUI is asked to hand the API over (shopdesk.serving.handover) and the port is bound once
  it lets go; anything else -> a ShopdeskError naming who holds it. The service wins over TUIs.
- `sweep_forever` runs beside every API this process serves (the TUI's or `shopdesk serve`'s): the
  process that serves a store's API is the one that sweeps it (SLA escalation, auto-close).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from shopdesk.domain.errors import ShopdeskError

if TYPE_CHECKING:
    from litestar.logging.config import LoggingConfig

    from shopdesk.config import Settings
    from shopdesk.services import Services

log = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_SECONDS = 10.0
HANDOVER_BIND_EVERY_SECONDS = 0.02  # `serve` tries the port this often while a TUI hands it over
FIRST_SWEEP_SECONDS = 10.0


async def sweep_forever(services: Services) -> None:
    """The rules on every order due, then escalate breached cases and close stale resolved ones,
    every detection.sweep_seconds (the first time after at most FIRST_SWEEP_SECONDS); beside it,
    the outbox's sender."""
    from shopdesk.sending.sender import send_forever

    sender = asyncio.create_task(send_forever(services), name="outbox")  # the outbox's one sender
    try:
        await _sweep_forever(services)
    finally:
        await stop_sweep(sender)


async def _sweep_forever(services: Services) -> None:
    interval = max(1, services.settings.detection.sweep_seconds)
    await asyncio.sleep(min(FIRST_SWEEP_SECONDS, interval))
    while True:
        try:
            report = await services.detection.run_sweep()
            if report.opened or report.cleared or report.closed or report.escalated or \
                    report.closed_resolved or report.failed:
                log.info("sweep: checked %d orders; opened %s, cleared %s, closed %s, "
                         "escalated %s, closed resolved %s, failed %s", report.checked,
                         report.opened, report.cleared, report.closed, report.escalated,
                         report.closed_resolved, report.failed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(interval)


async def upkeep_forever(services: Services) -> None:
    """What the serving process does beside the API: the sweep, and the scheduled backups
    (config [backup]; shopdesk.services.backups), in one task."""
    from shopdesk.services.backups import backup_forever

    await asyncio.gather(sweep_forever(services), backup_forever(services))


async def stop_sweep(sweep: asyncio.Task) -> None:
    sweep.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await sweep


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: whoever runs it owns the process signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_api_socket(host: str, port: int) -> socket.socket | None:
    """A listening socket on host:port, or None when the port is already taken.

    Any other failure (an address this machine does not have, a privileged port) is a
    ShopdeskError naming the address.
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    try:
        sock = socket.create_server((host.strip("[]"), port), family=family, backlog=2048)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return None
        raise ShopdeskError(
            f"cannot listen on {host}:{port}: {error.strerror or error}", field="api.host"
        ) from error
    except (OverflowError, ValueError) as error:  # port out of range
        raise ShopdeskError(f"cannot listen on {host}:{port}: {error}", field="api.port") from error
    sock.setblocking(False)
    return sock


def _shown(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host.strip("[]") else f"{host}:{port}"


async def _bind_within(host: str, port: int, until: float) -> socket.socket | None:
    """Bind host:port as soon as it is free, trying until the loop time `until`."""
    loop = asyncio.get_running_loop()
    while True:
        sock = bind_api_socket(host, port)
        if sock is not None or loop.time() >= until:
            return sock
        await asyncio.sleep(HANDOVER_BIND_EVERY_SECONDS)


async def claim_port(services: Services, host: str, port: int,
                     announce: Callable[[str], None] | None = None) -> socket.socket:
    """The listening socket for `shopdesk serve` on host:port (see the module docstring)."""
    from shopdesk.serving import handover
    from shopdesk.serving.port_owner import port_owner, same_store

    sock = bind_api_socket(host, port)
    if sock is not None:
        return sock
    say = announce or (lambda line: None)
    address = _shown(host, port)
    store = services.store
    me = os.getpid()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + handover.WAIT_SECONDS
    asked: int | None = None
    try:
        while True:
            owner = await port_owner(host, port)
            if not owner.shopdesk:
                sock = bind_api_socket(host, port)  # freed meanwhile?
                if sock is not None:
                    return sock
                if asked is None:
                    raise ShopdeskError(f"port {port} on {host} is in use by another program (not "
                                        "shopdesk); choose another with --port", field="port")
            elif not same_store(owner, store.path):
                raise ShopdeskError(
                    f"port {port} on {host} is in use by shopdesk pid {owner.pid} serving another "
                    f"store ({owner.store}); choose another with --port", field="port")
            elif owner.role == "serve":
                raise ShopdeskError(
                    f"shopdesk serve (pid {owner.pid}) already serves {store.path} on {address}; "
                    "stop it first (one service per store)", field="port")
            elif owner.pid is None:
                raise ShopdeskError(
                    f"port {port} on {host} is served by an older shopdesk on this store that "
                    "cannot hand the API over; quit it or choose another with --port", field="port")
            elif owner.pid != asked:
                say(f"{address} is served by the shopdesk terminal UI of pid {owner.pid} on this "
                    f"store: asking it to hand the API over (up to {handover.WAIT_SECONDS:.0f} s) …")
                log.info("%s is served by shopdesk pid %s (role %s) for this store: asking it to "
                         "hand the API over", address, owner.pid, owner.role)
                await handover.request(store, by=me, to=owner.pid)
                asked = owner.pid
            sock = await _bind_within(host, port, min(loop.time() + 1.0, deadline))
            if sock is not None:
                log.info("pid %s handed the API on %s over", asked, address)
                say(f"pid {asked} handed the API over; it stays open, attached to this service")
                return sock
            if loop.time() >= deadline:
                raise ShopdeskError(
                    f"shopdesk pid {asked} did not hand the API on {address} over within "
                    f"{handover.WAIT_SECONDS:.0f} s; quit it, or choose another port with --port",
                    field="port")
    finally:
        if asked is not None:
            await handover.withdraw(store, by=me)


async def ask_elsewhere(services: Services, host: str, port: int,
                        announce: Callable[[str], None] | None = None) -> int | None:
    """Before `shopdesk serve` binds host:port: whoever serves this store at another address
    (who_serves.py). Another `serve`: refused. A terminal UI: asked to hand the API over and waited
    for; its pid is returned (the caller withdraws the request once it serves, so that the TUI
    attaches rather than serving again). None when nobody serves elsewhere."""
    from shopdesk.serving import handover, who_serves

    store = services.store
    found = await who_serves.elsewhere(store, host, port)
    if found is None:
        return None
    other, owner = found
    address = _shown(other.host, other.port)
    if owner.role != "tui":
        raise ShopdeskError(
            f"shopdesk serve (pid {other.pid}) already serves {store.path} on {address}; stop it "
            "first (one service per store)", field="port")
    (announce or (lambda line: None))(
        f"{address} is served by the shopdesk terminal UI of pid {other.pid} on this store: "
        f"asking it to hand the API over (up to {handover.WAIT_SECONDS:.0f} s) …")
    log.info("the API of %s is served by pid %s on %s: asking it to hand it over", store.path,
             other.pid, address)
    await handover.request(store, by=os.getpid(), to=other.pid)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + handover.WAIT_SECONDS
    try:
        while await who_serves.elsewhere(store, host, port) is not None:
            if loop.time() >= deadline:
                raise ShopdeskError(
                    f"shopdesk pid {other.pid} did not hand the API on {address} over within "
                    f"{handover.WAIT_SECONDS:.0f} s; quit it", field="port")
            await asyncio.sleep(0.1)  # each look may ask its /healthz
    except BaseException:
        await handover.withdraw(store, by=os.getpid())
        raise
    return other.pid


def uvicorn_config(app, **overrides) -> uvicorn.Config:
    """The server settings every shopdesk API runs with: no uvicorn logging config (our file
    logging is already in place), no access log, graceful drain on shutdown."""
    options = {
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "server_header": False,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


def file_logging_config(path: Path | None = None) -> LoggingConfig:
    """Litestar logging to the log file only: no console or queue handler anywhere."""
    from litestar.logging.config import LoggingConfig

    from shopdesk import paths
    from shopdesk.logs import FORMAT

    path = path or paths.log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return LoggingConfig(
        formatters={"standard": {"format": FORMAT}},
        # Litestar adds "console" and "queue_listener" unless they are present: name both, as files.
        handlers={
            "console": {"class": "logging.NullHandler"},
            "queue_listener": {"class": "logging.NullHandler"},
            "file": {
                "class": "logging.FileHandler",
                "filename": str(path),
                "encoding": "utf-8",
                "formatter": "standard",
            },
        },
        loggers={"litestar": {"level": "INFO", "handlers": ["file"], "propagate": False}},
        configure_root_logger=False,
        log_exceptions="never",  # api.errors logs 500s with their traceback
    )


async def serve_api(
    services: Services,
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    announce: Callable[[str], None] | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """`shopdesk serve`: the API alone until SIGTERM or SIGINT, then drain in-flight requests; the
    sweep runs beside it as long as it serves.

    Call `logs.configure_file_logging` first. `announce` receives one line once the socket is bound
    (and, before that, a line while a terminal UI hands the API over).
    """
    from shopdesk.api.app import create_app
    from shopdesk.api.health import ROLE_STATE_KEY

    host = host or settings.api.host
    port = settings.api.port if port is None else port
    from shopdesk.serving import handover, who_serves

    loop = asyncio.get_running_loop()
    stop_signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    async def claim() -> socket.socket:
        handed = await ask_elsewhere(services, host, port, announce)
        try:
            sock = await claim_port(services, host, port, announce)
            try:
                await who_serves.record(services.store, host, port)
            except BaseException:
                sock.close()
                raise
        finally:
            if handed is not None:  # recorded first: the TUI attaches to us, not serves again
                await handover.withdraw(services.store, by=os.getpid())
        if handed is not None and announce is not None:
            announce(f"pid {handed} handed the API over; it stays open, attached to this service")
        return sock

    claiming = asyncio.ensure_future(claim())

    signalled: list[int] = []

    def stop_claiming(signum: int) -> None:
        log.info("received %s while waiting for the port: stopping", signal.Signals(signum).name)
        signalled.append(signum)
        claiming.cancel()  # withdraws a handover request, so an open TUI may serve again

    for signum in stop_signals:
        loop.add_signal_handler(signum, stop_claiming, signum)
    try:
        sock = await claiming
    except asyncio.CancelledError:
        if not signalled:
            raise
        return
    finally:
        for signum in stop_signals:
            loop.remove_signal_handler(signum)
    try:
        app = create_app(services, logging_config=file_logging_config())
        app.state[ROLE_STATE_KEY] = "serve"
    except BaseException:
        sock.close()
        raise
    server = EmbeddedServer(uvicorn_config(app))

    def stop(signum: int) -> None:
        log.info("received %s: draining and stopping", signal.Signals(signum).name)
        if server.should_exit:  # a second signal: stop waiting for slow requests
            server.force_exit = True
        server.should_exit = True

    for signum in stop_signals:
        loop.add_signal_handler(signum, stop, signum)
    try:
        shown = f"[{host}]" if ":" in host else host
        if announce is not None:
            announce(f"serving {services.store.path} on http://{shown}:{port}")
        log.info("serving %s on %s:%d", services.store.path, host, port)
        task = asyncio.create_task(server.serve(sockets=[sock]), name="api")
        sweep = asyncio.create_task(upkeep_forever(services), name="sweep")
        log.info("sweeping %s every %d s", services.store.path,
                 max(1, settings.detection.sweep_seconds))
        try:
            if ready is not None:
                while not server.started and not task.done():
                    await asyncio.sleep(0.01)
                ready.set()
            await task
        finally:
            await stop_sweep(sweep)
    finally:
        for signum in stop_signals:
            loop.remove_signal_handler(signum)
        sock.close()
        with contextlib.suppress(Exception):  # a store closing or busy: the record is checked
            await who_serves.forget(services.store)  # against /healthz by whoever reads it
        log.info("stopped serving %s", services.store.path)
