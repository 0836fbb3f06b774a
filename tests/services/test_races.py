"""Races that happen for real: two processes on one store (a TUI and `serve`, or two desks), and two
tasks in one process, each doing its step at the same moment. The refund cap holds (refunds on an
order never add up past what was paid) and two moves on one case never both land."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

from shopdesk.config import Operator, Settings
from shopdesk.domain.cases import Order
from shopdesk.domain.errors import ConflictError, ShopdeskError, ValidationError
from shopdesk.services import Services
from shopdesk.store import open_store

ORDERS = 12
PAID = 10_000  # 100.00 CNY on each order
REFUND = 6_000  # two of them do not fit

OPERATORS = [Operator(name="alpha", role="owner"), Operator(name="beta", role="owner")]

# One process of the race: opens the store, says "ready", waits for the go file, then does its
# step on each order's case (or on the one case) and prints one JSON line per step: ok or refusal.
WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from pathlib import Path
    from shopdesk.config import Operator, Settings
    from shopdesk.domain.errors import ShopdeskError
    from shopdesk.services import Services
    from shopdesk.store import open_store

    path, name, job, go = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
    refs = json.loads(sys.argv[5])
    settings = Settings(operators=[Operator(name="alpha", role="owner"),
                                   Operator(name="beta", role="owner")])

    async def step(services, index, ref):
        actor = services.actor(name)
        if job == "refund":
            await services.cases.propose_remedy(actor, ref, type="refund_partial",
                                                amount_minor=6000, currency="CNY")
        else:
            version = (await services.cases.get(ref)).version
            await barrier(f"read{index}")  # both read the same version before either moves
            if name == "alpha":
                await services.cases.resolve(actor, ref, "resolved by alpha",
                                             expected_version=version)
            else:
                await services.cases.escalate(actor, ref, "escalated by beta",
                                              expected_version=version)

    async def barrier(label):
        Path(f"{go}.{label}.{name}").touch()
        deadline = time.monotonic() + 120
        while len(list(go.parent.glob(f"{go.name}.{label}.*"))) < 2:
            if time.monotonic() > deadline:
                raise SystemExit("the other worker never came")
            await asyncio.sleep(0.002)

    async def main():
        async with open_store(path) as store:
            services = Services(store, settings)
            await services.operators.load()  # seated by the test before the race
            print("ready", flush=True)
            while not go.exists():
                await asyncio.sleep(0.002)
            for index, ref in enumerate(refs):
                await barrier(f"start{index}")
                try:
                    await step(services, index, ref)
                    print(json.dumps({"ref": ref, "ok": True}), flush=True)
                except ShopdeskError as error:
                    print(json.dumps({"ref": ref, "ok": False, "error": type(error).__name__,
                                      "field": error.field, "detail": str(error)}), flush=True)

    asyncio.run(main())
    """
)


def _race(path, job: str, refs_by_worker: dict[str, list[str]], go) -> dict[str, list[dict]]:
    workers = {
        name: subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), name, job, str(go), json.dumps(refs)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name, refs in refs_by_worker.items()
    }
    for worker in workers.values():  # both have the store open before either goes
        assert worker.stdout.readline().strip() == "ready"
    go.touch()
    results = {}
    for name, worker in workers.items():
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        results[name] = [json.loads(line) for line in out.splitlines()]
    return results


async def _orders_with_two_cases(services: Services) -> list[tuple[str, str]]:
    """ORDERS orders paid PAID, each with two cases (a complaint phoned in twice, say)."""
    actor = services.actor("alpha")
    pairs = []
    for number in range(ORDERS):
        order_id = await services.orders.upsert(Order(
            source="shop", external_id=f"race-{number}", number=f"R{number}",
            total_minor=PAID, paid_minor=PAID, currency="CNY"))
        refs = []
        for _ in range(2):
            case, _ = await services.cases.open(actor, kind="damaged", level=2, order_id=order_id)
            await services.cases.triage(actor, case.ref)
            refs.append(case.ref)
        pairs.append((refs[0], refs[1]))
    return pairs


async def desk(store, settings: Settings | None = None) -> Services:
    """A Services on the store with the test's operators seated in it (roles live in the store)."""
    from operator_seats import seat_from_settings

    services = Services(store, settings or Settings(operators=OPERATORS))
    await seat_from_settings(services)
    return services


async def _live_refunds_per_order(services: Services, pairs) -> list[int]:
    totals = []
    for first, second in pairs:
        total = 0
        for ref in (first, second):
            detail = await services.cases.detail(ref)
            total += sum(r.amount_minor for r in detail.remedies
                         if r.type.startswith("refund") and r.status != "rejected")
        totals.append(total)
    return totals


async def test_two_processes_proposing_refunds_on_one_order_never_pass_the_cap(tmp_path):
    path = tmp_path / "race.db"
    async with open_store(path) as store:
        pairs = await _orders_with_two_cases(await desk(store))
    results = _race(path, "refund", {"alpha": [a for a, _ in pairs], "beta": [b for _, b in pairs]},
                    tmp_path / "go")
    for index in range(ORDERS):
        outcomes = [results["alpha"][index], results["beta"][index]]
        assert sorted(o["ok"] for o in outcomes) == [False, True], outcomes
        refused = next(o for o in outcomes if not o["ok"])
        assert refused["error"] == "ValidationError" and refused["field"] == "amount"
        assert "more than" in refused["detail"]
    async with open_store(path) as store:
        totals = await _live_refunds_per_order(await desk(store), pairs)
    assert totals == [REFUND] * ORDERS


async def test_two_tasks_proposing_refunds_at_once_never_pass_the_cap(tmp_path):
    """Two desks in one process (two Services on one store), all proposals under way at once:
    whatever the interleaving, what is live fits in what was paid."""
    async with open_store(tmp_path / "tasks.db") as store:
        settings = Settings(operators=OPERATORS)
        alpha, beta = await desk(store, settings), await desk(store, settings)
        pairs = await _orders_with_two_cases(alpha)

        async def propose(services: Services, name: str, ref: str) -> bool:
            try:
                await services.cases.propose_remedy(services.actor(name), ref,
                                                    type="refund_partial", amount_minor=REFUND,
                                                    currency="CNY")
                return True
            except ValidationError as error:
                assert error.field == "amount"
                return False

        outcomes = await asyncio.gather(*(
            step for first, second in pairs
            for step in (propose(alpha, "alpha", first), propose(beta, "beta", second))
        ))
        assert [sum(outcomes[i:i + 2]) for i in range(0, len(outcomes), 2)] == [1] * ORDERS
        assert await _live_refunds_per_order(alpha, pairs) == [REFUND] * ORDERS


async def test_two_processes_moving_one_case_at_once_one_wins_the_other_is_told(tmp_path):
    """Both read version v, then alpha resolves and beta escalates: exactly one move lands, the
    other gets the stale-edit refusal naming who changed the case, and the timeline has one move."""
    path = tmp_path / "moves.db"
    async with open_store(path) as store:
        services = await desk(store)
        refs = []
        for _ in range(ORDERS):
            case, _ = await services.cases.open(services.actor("alpha"), kind="lost", level=2)
            await services.cases.triage(services.actor("alpha"), case.ref)
            refs.append(case.ref)
        before = {ref: (await services.cases.get(ref)).version for ref in refs}
    results = _race(path, "move", {"alpha": refs, "beta": refs}, tmp_path / "go")
    async with open_store(path) as store:
        services = await desk(store)
        for index, ref in enumerate(refs):
            outcomes = {name: results[name][index] for name in ("alpha", "beta")}
            winners = [name for name, o in outcomes.items() if o["ok"]]
            assert len(winners) == 1, outcomes
            loser = outcomes["beta" if winners == ["alpha"] else "alpha"]
            assert loser["error"] == "ConflictError" and loser["field"] == "version"
            assert f"was changed by {winners[0]}" in loser["detail"]
            case = await services.cases.get(ref)
            assert case.version == before[ref] + 1
            assert case.status == ("resolved" if winners == ["alpha"] else "escalated")
            moves = [e.type for e in (await services.cases.detail(ref)).events
                     if e.type in ("resolved", "escalated")]
            assert moves == ["resolved" if winners == ["alpha"] else "escalated"]


async def test_two_tasks_moving_one_case_at_once_one_wins(tmp_path):
    async with open_store(tmp_path / "task-moves.db") as store:
        settings = Settings(operators=OPERATORS)
        alpha, beta = await desk(store, settings), await desk(store, settings)
        case, _ = await alpha.cases.open(alpha.actor("alpha"), kind="lost", level=2)
        case = await alpha.cases.triage(alpha.actor("alpha"), case.ref)

        async def attempt(move) -> str:
            try:
                await move
                return "ok"
            except ConflictError as error:
                assert error.field == "version"
                return "stale"
            except ShopdeskError as error:  # pragma: no cover - shown if it ever happens
                return f"{type(error).__name__}: {error}"

        outcomes = await asyncio.gather(
            attempt(alpha.cases.resolve(alpha.actor("alpha"), case.ref, "done",
                                        expected_version=case.version)),
            attempt(beta.cases.escalate(beta.actor("beta"), case.ref, "up",
                                        expected_version=case.version)),
        )
        assert sorted(outcomes) == ["ok", "stale"]
        assert (await alpha.cases.get(case.ref)).version == case.version + 1
