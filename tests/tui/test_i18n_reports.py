"""The reports screen (R) in the UI language (N6, N19): titles, column heads, names of groups,
statuses, departments and remedies from the catalog, not identifiers; times say their unit; the
footer at 80 columns keeps esc Back and every export key, with labels that do not echo the key."""

from __future__ import annotations

import pytest
from report_host import ReportsHost

from shopdesk.tui import i18n

IDENTIFIERS = ("after_sales", "customer_service", "refund_partial", "coupon", "logistics",
               "warehouse", "delivery", "fulfilment", "resolved", "(none)")


async def shown(services, language: str, size=(80, 60)) -> list[str]:
    """The screen's lines once the week's report has loaded."""
    i18n.set_language(language)
    app = ReportsHost(services)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for screen in app.screen_stack:
            await screen.workers.wait_for_complete()
        await pilot.pause()
        return ["".join(segment.text for segment in strip).rstrip()
                for strip in app.screen._compositor.render_strips()]


async def test_reports_in_chinese_name_everything_in_chinese(week):
    lines = await shown(week, "zh")
    text = "\n".join(lines)
    for words in ("报表 · 最近 7 天", "概览", "按类型组", "按状态", "部门扣分", "已完成的补偿",
                  "配送", "发货", "已关闭", "已解决", "物流部", "仓储部", "部分退款", "优惠券",
                  "无快递", "快递公司  已发货"):
        assert words in text, words
    for identifier in IDENTIFIERS:
        assert identifier not in text, identifier
    assert "Overview" not in text and "Cases by" not in text


async def test_reports_in_english_use_the_ui_names(week):
    text = "\n".join(await shown(week, "en"))
    for words in ("Cases by group", "fulfilment", "logistics", "partial refund", "coupon",
                  "no carrier"):
        assert words in text, words
    for identifier in ("refund_partial", "(none)"):
        assert identifier not in text


@pytest.mark.parametrize(("language", "unit"), [("en", "h (wall-clock)"), ("zh", "小时（自然时间）")])
async def test_median_and_p90_say_they_are_wall_clock_hours(week, language, unit):
    text = "\n".join(await shown(week, language))
    assert f"p90 5 {unit}" in text or f"P90 5 {unit}" in text


@pytest.mark.parametrize(
    ("language", "keys"),
    [("en", ["esc Back", "7 Last 7 days", "3 Last 30 days", "s Summary CSV", "c Carriers CSV",
             "d Depts CSV"]),
     ("zh", ["esc 返回", "7 最近 7 天", "3 最近 30 天", "s 汇总 CSV", "c 快递 CSV", "d 部门 CSV"])],
)
async def test_the_footer_at_80_columns_shows_back_and_every_key(week, language, keys):
    footer = (await shown(week, language, size=(80, 24)))[-1]
    for key in keys:
        assert key in footer, (key, footer)
