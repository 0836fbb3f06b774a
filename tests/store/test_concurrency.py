"""Two writers at once without "database is locked": two processes, and many tasks in one."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

from waiting import scaled

from shopdesk.domain.cases import Actor
from shopdesk.services import Services
from shopdesk.store import cases as case_rows
from shopdesk.store import open_store

NOTES_PER_WRITER = 200

WRITER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from shopdesk.domain.cases import Actor
    from shopdesk.services import Services
    from shopdesk.store import open_store

    path, name, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])

    async def main():
        async with open_store(path) as store:
            services = Services(store)
            print("ready", flush=True)
            while not go.exists():          # start together
                await asyncio.sleep(0.005)
            for number in range(count):
                await services.cases.add_note(Actor(name), "C-000001", f"{name} note {number}")
                if number == 0:  # both under way before either goes on (a busy machine may
                    # otherwise run one writer wholly before the other starts)
                    Path(f"{go}.{name}").touch()
                    deadline = time.monotonic() + 60
                    while len(list(go.parent.glob(go.name + ".*"))) < 2:
                        if time.monotonic() > deadline:
                            raise SystemExit("the other writer never started")
                        await asyncio.sleep(0.005)

    asyncio.run(main())
    """
)


async def open_one_case(path) -> None:
    async with open_store(path) as store:
        await Services(store).cases.open(Actor("setup"), kind="lost", level=2)


async def test_two_processes_write_at_once_and_every_write_lands(tmp_path):
    path = tmp_path / "shared.db"
    await open_one_case(path)
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(NOTES_PER_WRITER), str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("alpha", "beta")
    ]
    for writer in writers:  # both have the store open before either writes
        assert writer.stdout.readline().strip() == "ready"
    go.touch()
    for writer in writers:
        _out, err = writer.communicate(timeout=scaled(120))
        assert writer.returncode == 0, err
        assert "database is locked" not in err

    async with open_store(path) as store:
        case = await case_rows.get_case(store.reader, "C-000001")
        events = await case_rows.list_events(store.reader, case.id)
    notes = [event for event in events if event.type == "note"]
    assert len(notes) == 2 * NOTES_PER_WRITER
    for name in ("alpha", "beta"):
        texts = [event.data["text"] for event in notes if event.actor == name]
        assert texts == [f"{name} note {number}" for number in range(NOTES_PER_WRITER)]
    assert case.version == 1 + 2 * NOTES_PER_WRITER  # every edit bumped the version once
    # the two writers really did interleave (neither ran wholly before the other)
    actors = [event.actor for event in notes]
    assert actors.index("beta") < len(actors) - 1 - actors[::-1].index("alpha")
    assert actors.index("alpha") < len(actors) - 1 - actors[::-1].index("beta")


async def test_many_tasks_write_through_one_store(tmp_path):
    async with open_store(tmp_path / "tasks.db") as store:
        services = Services(store)
        case, _ = await services.cases.open(Actor("setup"), kind="damaged", level=1)

        async def writer(number: int) -> None:
            for index in range(10):
                await services.cases.add_note(Actor(f"t{number}"), case.ref, f"{number}/{index}")

        async def opener(number: int) -> None:
            await services.cases.open(Actor(f"o{number}"), kind="lost", title=f"opened by task {number}")

        await asyncio.gather(*(writer(n) for n in range(20)), *(opener(n) for n in range(20)))
        events = await case_rows.list_events(store.reader, case.id)
        assert sum(event.type == "note" for event in events) == 200
        assert (await services.cases.get(case.ref)).version == 201
        assert await services.cases.count() == 21
        refs = [c.ref for c in await services.cases.list(limit=100)]
        assert len(set(refs)) == 21  # every case got its own reference


async def test_reads_do_not_wait_behind_a_write(tmp_path):
    async with open_store(tmp_path / "read.db") as store:
        services = Services(store)
        case, _ = await services.cases.open(Actor("setup"), kind="lost")
        inside = asyncio.Event()
        release = asyncio.Event()

        async def long_write() -> None:
            async with store.transaction() as conn:
                await case_rows.insert_event(
                    conn, case.id, at=case.opened_at, actor="slow", type="note", data={"text": "slow"}
                )
                inside.set()
                await release.wait()

        task = asyncio.create_task(long_write())
        await inside.wait()
        # the write transaction is open and holds the lock; a read still answers at once
        seen = await asyncio.wait_for(services.cases.get(case.ref), timeout=scaled(30))
        assert seen.ref == case.ref
        events = await asyncio.wait_for(case_rows.list_events(store.reader, case.id), timeout=scaled(30))
        assert [event.type for event in events] == ["opened"]  # the uncommitted note is not seen
        release.set()
        await task
        events = await case_rows.list_events(store.reader, case.id)
        assert [event.type for event in events] == ["opened", "note"]
