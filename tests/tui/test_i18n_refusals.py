"""Refusals in the UI language (N6): services raise errors with a code and params, the TUI words
them through the one catalog (tui/i18n.py, `error.<code>`); the CLI and the API keep the English
detail. Every code raised in domain/ and services/ has an English and a Chinese entry."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from case_world import (
    seated,
    OPERATOR,
    case_app,
    field_error,
    fill,
    notifications,
    settle,
    show_case,
    working_case,
)

import shopdesk
from shopdesk.domain import workflow
from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import ShopdeskError
from shopdesk.tui import i18n
from shopdesk.tui.modals.forms import FormModal
from shopdesk.tui.refusals import refusal_text
from shopdesk.tui.screens.case import CaseScreen

SOURCE = Path(shopdesk.__file__).parent


@pytest.fixture(autouse=True)
def chinese():
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


async def press_on_case(pilot, key: str) -> None:
    await show_case(pilot)
    await pilot.press(key)
    await settle(pilot)


async def test_an_operator_resolving_an_escalated_case_is_told_in_chinese(services):
    case = await working_case(services)
    await services.cases.escalate(services.actor(OPERATOR), case.ref, "needs a decision")
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(pilot, "r")
        assert isinstance(app.screen, CaseScreen)
        assert notifications(app, "error") == ["解决已上报的处理单需要主管或以上角色；你的角色是客服"]


async def test_a_refused_move_is_in_chinese(services):
    case = await working_case(services)
    await services.cases.escalate(services.actor(OPERATOR), case.ref, "needs a decision")
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(pilot, "w")
        [refusal] = notifications(app, "error")
        assert refusal.startswith("等待：处理单已上报时不可用")
        assert "cannot" not in refusal


async def test_an_empty_note_is_refused_in_chinese_under_the_field(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(pilot, "n")
        assert isinstance(app.screen, FormModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)  # nothing saved, the form stays
        assert notifications(app, "error") == ["请填写备注内容"]
        assert field_error(app, "text") == "请填写备注内容"


async def test_a_refund_above_the_payment_is_refused_in_chinese(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(pilot, "m")
        assert isinstance(app.screen, FormModal)
        await fill(pilot, "amount", "9999")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        expected = "金额 9,999.00 CNY 超过订单 #1001 的实付金额 494.00 CNY"
        assert field_error(app, "amount") == expected
        assert notifications(app, "error") == [expected]
    detail = await services.cases.detail(case.ref)
    assert [remedy.type for remedy in detail.remedies] == ["coupon"]  # nothing new stored


async def test_a_stale_edit_names_who_changed_it_in_chinese(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(pilot, "n")
        await services.cases.add_note(Actor("wang.fang", "operator"), case.ref, "called the carrier")
        await fill(pilot, "text", "客户已确认地址")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [stale] = notifications(app, "error")
        assert stale.startswith(f"{case.ref} 已被 wang.fang 于 ")
        assert "修改；请重新载入后再试。已保留您的输入" in stale and "changed by" not in stale


async def test_the_cli_and_api_keep_the_english_detail():
    with pytest.raises(ShopdeskError) as caught:
        workflow.require_decider("operator", "resolve", "escalated", "supervisor")
    error = caught.value
    assert error.detail == (
        "resolving an escalated case needs the role supervisor or above; your role is operator"
    )
    assert (error.code, error.params) == (
        "role_needed", {"doing": "resolve", "needed": "supervisor", "role": "operator"}
    )
    i18n.set_language("en")
    assert refusal_text(error) == error.detail


def test_an_error_without_a_code_shows_its_detail():
    assert refusal_text(ShopdeskError("something odd", field="x")) == "something odd"
    assert refusal_text(ShopdeskError("odd", code="no_such_code_in_the_catalog")) == "odd"


# --- the catalog covers every code the domain and the services raise ------------------------------


def _codes_raised() -> dict[str, set[str] | None]:
    """code -> the params names its raise sites give (None where they are not written out)."""
    found: dict[str, set[str] | None] = {"move_refused": {"action", "status", "allowed"}}
    for folder in ("domain", "services"):
        for path in sorted((SOURCE / folder).rglob("*.py")):
            if path.name == "errors.py":  # the definitions pass codes on
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                code = keywords.get("code")
                if code is None:
                    continue
                branches = [code.body, code.orelse] if isinstance(code, ast.IfExp) else [code]
                params = keywords.get("params")
                names: set[str] | None = set()
                if isinstance(params, ast.Dict):
                    if any(key is None for key in params.keys):
                        names = None  # {**params, …}
                    else:
                        names = {key.value for key in params.keys if isinstance(key, ast.Constant)}
                elif params is not None:
                    names = None
                if getattr(node.func, "id", "") == "TransitionError" and names is not None:
                    names |= {"action", "status", "allowed"}
                for branch in branches:
                    assert isinstance(branch, ast.Constant), f"{path}:{node.lineno}: code not a literal"
                    found[branch.value] = names
    return found


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_collector_sees_the_codes():
    codes = _codes_raised()
    for code in ("role_needed", "required", "stale", "refund_over_paid", "survey_exists"):
        assert code in codes


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_code_raised_has_an_entry_in_both_languages(language):
    catalog = i18n.CATALOGS[language]
    missing = sorted(code for code in _codes_raised() if f"error.{code}" not in catalog)
    assert missing == []


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_entry_names_only_params_its_raise_sites_give(language):
    catalog = i18n.CATALOGS[language]
    for code, names in _codes_raised().items():
        if names is None:
            continue
        assert _placeholders(catalog[f"error.{code}"]) <= names, (language, code)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_required_input_has_its_name(language):
    """`_required(text, field, what)` refuses with code "required" and params input=field."""
    catalog = i18n.CATALOGS[language]
    for path in (SOURCE / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_required":
                field = node.args[1]
                assert isinstance(field, ast.Constant)
                assert f"error.input.{field.value}" in catalog, (path.name, field.value)
