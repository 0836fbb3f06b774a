"""Customer message templates (沟通模板), in English and Chinese, filled from a case and its order.

Pure: `render(template_id, lang, case, order, shop_name)` returns the text an operator sends; a
value the case does not know is replaced by a neutral word, never left as a placeholder.
"""

from __future__ import annotations

from shopdesk.domain.cases import Case, Order
from shopdesk.domain.errors import ValidationError

TEMPLATE_IDS: tuple[str, ...] = (
    "apology",
    "delay_notice",
    "refund_notice",
    "out_of_stock_notice",
    "incident_notice",
)

TITLES: dict[str, dict[str, str]] = {
    "en": {
        "apology": "Apology",
        "delay_notice": "Delay notice",
        "refund_notice": "Refund notice",
        "out_of_stock_notice": "Out-of-stock notice",
        "incident_notice": "Incident notice",
    },
    "zh": {
        "apology": "致歉",
        "delay_notice": "延迟通知",
        "refund_notice": "退款通知",
        "out_of_stock_notice": "缺货通知",
        "incident_notice": "突发事件通知",
    },
}

_BODIES: dict[str, dict[str, str]] = {
    "en": {
        "apology": (
            "Dear {customer},\n\n"
            "We are sorry about the trouble with your order {order}. We have looked into it and "
            "are putting it right; we will keep you informed until it is settled.\n\n"
            "With our apologies,\n{shop}"
        ),
        "delay_notice": (
            "Dear {customer},\n\n"
            "Your order {order} is delayed. It travels with {carrier}, tracking number "
            "{tracking}. We are following it closely and will tell you as soon as it moves. "
            "We are sorry for the wait.\n\n{shop}"
        ),
        "refund_notice": (
            "Dear {customer},\n\n"
            "We have issued a refund for your order {order}. Depending on your bank or payment "
            "method it can take a few working days to appear.\n\n"
            "Thank you for your patience,\n{shop}"
        ),
        "out_of_stock_notice": (
            "Dear {customer},\n\n"
            "We are sorry: an item of your order {order} is out of stock. We can ship it as soon "
            "as it is back, offer you a similar item, or refund it in full. Please tell us which "
            "you prefer.\n\n{shop}"
        ),
        "incident_notice": (
            "Dear {customer},\n\n"
            "An incident is affecting orders like yours ({order}, sent with {carrier}). We are "
            "working on it and will update you as soon as we know more. We are sorry for the "
            "inconvenience.\n\n{shop}"
        ),
    },
    "zh": {
        "apology": (
            "亲爱的{customer}：\n\n"
            "非常抱歉，您的订单 {order} 出现了问题。我们已经核实情况并正在处理，"
            "处理完成前会随时告知您进展。\n\n再次致歉！\n{shop}"
        ),
        "delay_notice": (
            "亲爱的{customer}：\n\n"
            "您的订单 {order} 出现延迟。包裹由 {carrier} 承运，运单号 {tracking}。"
            "我们正在密切跟进，一有进展会第一时间通知您。给您带来不便，深表歉意。\n\n{shop}"
        ),
        "refund_notice": (
            "亲爱的{customer}：\n\n"
            "您的订单 {order} 的退款已发起，视银行或支付方式不同，预计几个工作日内到账。\n\n"
            "感谢您的耐心！\n{shop}"
        ),
        "out_of_stock_notice": (
            "亲爱的{customer}：\n\n"
            "非常抱歉，您的订单 {order} 中有商品暂时缺货。我们可以到货后立即发出、"
            "为您更换相近商品，或全额退款，请告诉我们您的选择。\n\n{shop}"
        ),
        "incident_notice": (
            "亲爱的{customer}：\n\n"
            "受突发事件影响，您的订单 {order}（{carrier} 承运）可能受到影响。"
            "我们正在全力处理，有新进展会及时通知您。给您带来不便，深表歉意。\n\n{shop}"
        ),
    },
}

# What stands in for a value the case does not know.
_UNKNOWN: dict[str, dict[str, str]] = {
    "en": {"customer": "customer", "order": "(no order)", "carrier": "the carrier",
           "tracking": "(not yet known)", "shop": "our shop"},
    "zh": {"customer": "顾客", "order": "（无订单）", "carrier": "快递公司",
           "tracking": "（暂无）", "shop": "本店"},
}


def check_template(template_id: str) -> str:
    if template_id not in TEMPLATE_IDS:
        raise ValidationError(
            f"unknown template {template_id!r}; expected one of: {', '.join(TEMPLATE_IDS)}",
            field="template",
            code="unknown_value",
            params={"input": "template", "value": template_id, "allowed": list(TEMPLATE_IDS)},
        )
    return template_id


def _lang(lang: str) -> str:
    return lang if lang in _BODIES else "en"


def title(template_id: str, lang: str) -> str:
    return TITLES[_lang(lang)][check_template(template_id)]


def addressee(case: Case, order: Order | None) -> str:
    """Whom a message is for: the case's own customer (who called, mailed or reported — set when
    the case was opened), the order's buyer only when the case names nobody."""
    return (case.customer.name or (order.customer.name if order else "")).strip()


def values(lang: str, case: Case, order: Order | None, shop_name: str) -> dict[str, str]:
    """The fill-in values of a case, each falling back to a neutral word."""
    unknown = _UNKNOWN[_lang(lang)]
    customer = addressee(case, order)
    number = (order.number or order.external_id if order else "") or case.order_number
    carrier = (order.carrier if order else "") or case.carrier
    tracking = (order.tracking_number if order else "") or case.tracking_number
    found = {
        "customer": customer, "order": number, "carrier": carrier, "tracking": tracking,
        "shop": shop_name,
    }
    return {key: (value or "").strip() or unknown[key] for key, value in found.items()}


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" for char in text)


def suggested_language(case: Case, order: Order | None, fallback: str) -> str:
    """Chinese for a customer with a Chinese name, English for another name, else `fallback`."""
    name = addressee(case, order)
    if not name:
        return _lang(fallback)
    return "zh" if _has_cjk(name) else "en"


def render(template_id: str, lang: str, case: Case, order: Order | None, shop_name: str) -> str:
    """The template's text in `lang` ("en" or "zh"), filled from the case and its order."""
    check_template(template_id)
    lang = _lang(lang)
    return _BODIES[lang][template_id].format(**values(lang, case, order, shop_name))


_SURVEY: dict[str, tuple[str, str]] = {
    "en": (
        "How did we do? · {shop}",
        "Dear {customer},\n\nYour request about order {order} is settled. Would you tell us how "
        "we did? It takes a minute:\n\n{link}\n\nThank you,\n{shop}",
    ),
    "zh": (
        "满意度调查 · {shop}",
        "亲爱的{customer}：\n\n您关于订单 {order} 的问题已处理完毕。"
        "请花一分钟告诉我们您是否满意：\n\n{link}\n\n感谢您的支持！\n{shop}",
    ),
}


def survey_request(lang: str, case: Case, order: Order | None, shop_name: str,
                   link: str) -> tuple[str, str]:
    """(subject, body) of the email asking the customer to answer the survey at `link`."""
    lang = _lang(lang)
    subject, body = _SURVEY[lang]
    filled = values(lang, case, order, shop_name)
    return subject.format(**filled), body.format(link=link, **filled)
