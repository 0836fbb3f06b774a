"""All UI strings in one catalog, English and Chinese. `t("key", **values)` looks one up.

The language comes from `--lang`, the config's `lang`, or $LANG (zh_* -> Chinese); default English.
A key missing in Chinese falls back to English; a key missing everywhere shows the key itself.
"""

from __future__ import annotations

import os

EN: dict[str, str] = {
    # --- actions (tui/actions.py): label shown in the footer/palette, help line in `?` -----------
    "action.open": "Open",
    "help.open": "Open the highlighted case",
    "action.triage": "Triage",
    "help.triage": "Classify and grade: kind, level, urgent (a new case becomes open)",
    "action.assign": "Assign",
    "help.assign": "Take the case, or assign it to someone",
    "action.note": "Note",
    "help.note": "Add a note to the timeline",
    "action.contact": "Contact",
    "help.contact": "Log a contact with the customer (template picker with preview)",
    "action.remedy": "Remedy",
    "help.remedy": "Propose a remedy: refund, reship, coupon …",
    "action.approve": "Approve",
    "help.approve": "Approve or reject a proposed remedy (supervisor)",
    "action.wait": "Wait",
    "help.wait": "Wait on the customer, carrier or supplier (pauses the SLA), or resume",
    "action.escalate": "Escalate",
    "help.escalate": "Escalate to a supervisor, with a reason",
    "action.resolve": "Resolve",
    "help.resolve": "Resolve, with a summary",
    "action.close": "Close",
    "help.close": "Close a resolved case",
    "action.reopen": "Reopen",
    "help.reopen": "Reopen a resolved or closed case",
    "action.void": "Void",
    "help.void": "Void a case that was a mistake or a duplicate",
    "action.urgent": "Urgent",
    "help.urgent": "Toggle the urgent mark",
    "action.incidents": "Incidents",
    "help.incidents": "The board of declared incidents and their cases",
    "action.reports": "Reports",
    "help.reports": "Summaries and charts",
    "action.export": "Export",
    "help.export": "Export the current view to CSV",
    "action.filter": "Filter",
    "help.filter": "Filter as you type: ref, order, customer, phone, tracking number",
    "action.sort": "Sort",
    "help.sort": "Cycle the sort order",
    "action.help": "Help",
    "help.help": "Show every key",
    "action.back": "Back",
    "help.back": "Back / close",
    "action.quit": "Quit",
    "help.quit": "Quit shopdesk",
    # --- queue screen, app, help, palette (TUI app engineer) -----------------------------------
    # --- case screen and forms (TUI case engineer) ------------------------------------------------
}

ZH: dict[str, str] = {
    # --- actions ----------------------------------------------------------------------------------
    "action.open": "打开",
    "help.open": "打开选中的处理单",
    "action.triage": "分类",
    "help.triage": "核对、分类、分级：类型、等级、紧急（新单变为处理中）",
    "action.assign": "指派",
    "help.assign": "认领，或指派给他人",
    "action.note": "备注",
    "help.note": "在时间线上添加备注",
    "action.contact": "沟通",
    "help.contact": "记录与客户的沟通（可选模板并预览）",
    "action.remedy": "补偿",
    "help.remedy": "提出处理措施：退款、补发、优惠券……",
    "action.approve": "审批",
    "help.approve": "批准或驳回处理措施（主管）",
    "action.wait": "等待",
    "help.wait": "等待客户、快递或供应商（暂停时限），或恢复",
    "action.escalate": "上报",
    "help.escalate": "上报主管，需填写原因",
    "action.resolve": "解决",
    "help.resolve": "解决，需填写总结",
    "action.close": "关闭",
    "help.close": "关闭已解决的处理单",
    "action.reopen": "重开",
    "help.reopen": "重新打开已解决或已关闭的处理单",
    "action.void": "作废",
    "help.void": "作废误建或重复的处理单",
    "action.urgent": "紧急",
    "help.urgent": "切换紧急标识",
    "action.incidents": "突发事件",
    "help.incidents": "突发事件看板及其处理单",
    "action.reports": "报表",
    "help.reports": "统计与图表",
    "action.export": "导出",
    "help.export": "将当前视图导出为 CSV",
    "action.filter": "筛选",
    "help.filter": "输入即筛选：单号、订单、客户、电话、运单号",
    "action.sort": "排序",
    "help.sort": "切换排序方式",
    "action.help": "帮助",
    "help.help": "查看所有按键",
    "action.back": "返回",
    "help.back": "返回 / 关闭",
    "action.quit": "退出",
    "help.quit": "退出 shopdesk",
    # --- queue screen, app, help, palette (TUI app engineer) -----------------------------------
    # --- case screen and forms (TUI case engineer) ------------------------------------------------
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}

_language = "en"


def detect_language(explicit: str | None = None) -> str:
    if explicit in CATALOGS:
        return explicit
    env = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "zh" if env.lower().startswith("zh") else "en"


def set_language(language: str) -> None:
    global _language
    _language = language if language in CATALOGS else "en"


def language() -> str:
    return _language


def t(key: str, **values: object) -> str:
    text = CATALOGS[_language].get(key) or EN.get(key) or key
    return text.format(**values) if values else text
