"""Operators in the store, identity from the OS account (injected here: two accounts, an owner's
and an operator's, on one store)."""

from __future__ import annotations

import pytest

from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import ConflictError, PermissionDenied, ValidationError
from shopdesk.domain.operators import READER
from shopdesk.services import Services
from shopdesk.store import open_store


@pytest.fixture
async def services(tmp_path):
    async with open_store(tmp_path / "shop.db") as store:
        services = Services(store)
        await services.operators.ensure_owner("boss")  # `boss` made the store
        owner = await services.operators.identify("boss")
        await services.operators.add(owner, "emma", role="operator", unix_user="emma")
        await services.operators.add(owner, "li.na", role="operator", unix_user="shop")
        await services.operators.add(owner, "zhou.min", role="supervisor", unix_user="shop")
        yield services


async def test_the_os_account_decides_who_you_are(services):
    assert await services.operators.identify("boss") == Actor("boss", "owner")
    assert await services.operators.identify("emma") == Actor("emma", "operator")
    # a shop's single login: --operator chooses among those mapped to it, the least role without
    assert await services.operators.identify("shop") == Actor("li.na", "operator")
    assert await services.operators.identify("shop", "zhou.min") == Actor("zhou.min", "supervisor")


async def test_no_impersonation_of_anyone_not_mapped_to_your_account(services):
    for requested in ("boss", "zhou.min", "nobody"):
        with pytest.raises(PermissionDenied, match="OS account 'emma'") as refused:
            await services.operators.identify("emma", requested)
        assert "operators you may act as: emma" in refused.value.detail


async def test_no_self_promotion(services):
    emma = await services.operators.identify("emma")
    with pytest.raises(PermissionDenied, match="only an owner manages operators"):
        await services.operators.set_role(emma, "emma", "owner")
    with pytest.raises(PermissionDenied):
        await services.operators.add(emma, "emma2", role="owner", unix_user="emma")
    supervisor = await services.operators.identify("shop", "zhou.min")
    with pytest.raises(PermissionDenied):
        await services.operators.disable(supervisor, "boss")
    assert services.actor("emma").role == "operator"


async def test_a_stranger_reads_but_cannot_write_and_is_told_how_to_join(services):
    stranger = await services.operators.identify("mallory")
    assert stranger == Actor("mallory", READER)
    assert await services.cases.list() == []  # reading is fine
    with pytest.raises(PermissionDenied) as refused:
        await services.cases.open(stranger, kind="lost", title="parcel gone")
    assert "shopdesk operator add NAME --role operator --unix-user mallory" in refused.value.detail
    assert services.actor("mallory").role == READER  # the name alone gives no role either


async def test_roles_change_and_disabled_operators_read_only(services):
    owner = await services.operators.identify("boss")
    await services.operators.set_role(owner, "emma", "supervisor")
    assert (await services.operators.identify("emma")).role == "supervisor"
    await services.operators.disable(owner, "emma")
    assert await services.operators.identify("emma") == Actor("emma", READER)
    assert services.actor("emma").role == READER


async def test_the_last_owner_stays(services):
    owner = await services.operators.identify("boss")
    with pytest.raises(ConflictError, match="the last owner"):
        await services.operators.disable(owner, "boss")
    with pytest.raises(ConflictError, match="the last owner"):
        await services.operators.set_role(owner, "boss", "supervisor")
    await services.operators.add(owner, "lin.feng", role="owner", unix_user="lin")
    await services.operators.set_role(owner, "boss", "supervisor")  # another owner now: allowed


@pytest.mark.parametrize("name", ["two words", "tab\there", "bell\x07", "", "new\nline"])
async def test_names_with_spaces_or_control_characters_are_refused(services, name):
    owner = await services.operators.identify("boss")
    with pytest.raises(ValidationError):
        await services.operators.add(owner, name, role="operator")


async def test_a_misspelt_role_is_refused_naming_the_roles(services):
    owner = await services.operators.identify("boss")
    with pytest.raises(ValidationError, match="expected one of: operator, supervisor, owner"):
        await services.operators.add(owner, "wang.fang", role="supervsior")
    with pytest.raises(ValidationError, match="expected one of"):
        await services.operators.set_role(owner, "emma", "admin")


async def test_a_store_without_operators_is_owned_by_the_owner_of_its_file(tmp_path):
    import getpass

    async with open_store(tmp_path / "old.db") as store:  # as if made before operators existed
        services = Services(store)
        me = getpass.getuser()
        assert (await services.operators.identify("someone-else")).role == READER
        assert await services.operators.identify(me) == Actor(me, "owner")


async def test_a_case_is_assigned_to_operators_only_no_phantom_from_a_typo(services):
    owner = await services.operators.identify("boss")
    case, _ = await services.cases.open(owner, kind="lost", title="parcel gone")
    with pytest.raises(ValidationError, match="'emma ' is no operator|'emma' is no operator|emmaa"):
        await services.cases.assign(owner, case.ref, "emmaa")
    assert (await services.cases.assign(owner, case.ref, "emma")).assignee == "emma"
