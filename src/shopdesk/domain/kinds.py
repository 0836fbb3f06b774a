"""Kinds and their groups, levels, parties, departments, remedy types, channels (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Iterable

from shopdesk.domain.errors import ValidationError

KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "order": ("order_failed", "order_info_error", "duplicate_order", "order_invalidated"),
    "payment": ("payment_failed", "payment_mismatch", "payment_timeout", "bulk_unpaid"),
    "stock": ("out_of_stock", "stock_error"),
    "fulfilment": ("ship_delayed", "wrong_item", "quantity_error", "quality_issue"),
    "delivery": (
        "delivery_delayed",
        "lost",
        "damaged",
        "refused",
        "address_error",
        "undeliverable",
    ),
    "after_sales": ("cancel_request", "refund_issue", "return_exchange", "repair"),
    "customer": ("complaint", "no_response"),
    "urgent": ("urgent_order",),
    "other": ("other",),
}

KINDS: tuple[str, ...] = tuple(kind for kinds in KIND_GROUPS.values() for kind in kinds)
GROUP_OF_KIND: dict[str, str] = {
    kind: group for group, kinds in KIND_GROUPS.items() for kind in kinds
}

# The seed documents' own words, shown beside the code in the TUI and in exports.
KIND_LABELS_ZH: dict[str, str] = {
    "order_failed": "订单创建失败",
    "order_info_error": "订单信息错误",
    "duplicate_order": "订单重复创建",
    "order_invalidated": "订单失效",
    "payment_failed": "支付渠道故障",
    "payment_mismatch": "支付金额不符",
    "payment_timeout": "支付超时",
    "bulk_unpaid": "大量下单不付款",
    "out_of_stock": "缺货",
    "stock_error": "库存数据错误",
    "ship_delayed": "延迟发货",
    "wrong_item": "错发",
    "quantity_error": "数量异常",
    "quality_issue": "质量异常",
    "delivery_delayed": "配送延迟",
    "lost": "丢失",
    "damaged": "破损",
    "refused": "拒收",
    "address_error": "地址错误",
    "undeliverable": "送货不达",
    "cancel_request": "订单取消",
    "refund_issue": "退款异常",
    "return_exchange": "退换货",
    "repair": "维修",
    "complaint": "投诉",
    "no_response": "买家不回复",
    "urgent_order": "紧急订单",
    "other": "其他",
}

LEVELS: tuple[int, ...] = (1, 2, 3)
LEVEL_NAMES: dict[int, str] = {1: "L1 low", 2: "L2 medium", 3: "L3 high"}

PARTIES: tuple[str, ...] = (
    "shop",
    "warehouse",
    "carrier",
    "supplier",
    "customer",
    "platform",
    "unknown",
)
DEPARTMENTS: tuple[str, ...] = (
    "sales",
    "purchasing",
    "warehouse",
    "logistics",
    "qc",
    "customer_service",
)

REMEDY_TYPES: tuple[str, ...] = (
    "refund_full",
    "refund_partial",
    "reship",
    "replace",
    "coupon",
    "discount",
    "gift",
    "cashback",
    "expedite",
    "reschedule",
)
# Remedies where money moves: they need an amount and a currency.
MONEY_REMEDIES: frozenset[str] = frozenset(
    {"refund_full", "refund_partial", "coupon", "discount", "cashback"}
)

CHANNELS: tuple[str, ...] = ("phone", "sms", "email", "chat", "platform")
DIRECTIONS: tuple[str, ...] = ("outbound", "inbound")

INCIDENT_TYPES: tuple[str, ...] = (
    "system_outage",
    "carrier_outage",
    "weather",
    "supplier_delay",
    "data_loss",
    "security",
    "other",
)


def _check(value: str, allowed: tuple[str, ...] | frozenset[str], field: str) -> str:
    if value not in allowed:
        raise ValidationError(
            f"unknown {field} {value!r}; expected one of: {', '.join(sorted(allowed))}",
            field=field,
            code="unknown_value",
            params={"input": field, "value": value, "allowed": sorted(allowed)},
        )
    return value


def check_kind(kind: str) -> str:
    return _check(kind, KINDS, "kind")


def expand_kinds(names: Iterable[str]) -> list[str]:
    """The kinds a user named, where a group ("delivery") stands for all its kinds; items may be
    comma separated ("lost,payment"). Each kind once, in the order named."""
    chosen: list[str] = []
    for value in names:
        for item in value.split(","):
            name = item.strip().lower()
            if not name:
                continue
            if name in KINDS:
                chosen.append(name)
            elif name in KIND_GROUPS:
                chosen.extend(KIND_GROUPS[name])
            else:
                raise ValidationError(
                    f"unknown kind {name!r}; expected a kind ({', '.join(KINDS)}) "
                    f"or a group ({', '.join(KIND_GROUPS)})",
                    field="kind",
                    code="unknown_kind",
                    params={"value": name},
                )
    return list(dict.fromkeys(chosen))


def check_level(level: int) -> int:
    if level not in LEVELS:
        raise ValidationError(
            f"level must be 1, 2 or 3, not {level!r}", field="level", code="bad_level",
            params={"value": level},
        )
    return level


def check_party(party: str) -> str:
    return _check(party, PARTIES, "party")


def check_department(department: str) -> str:
    return _check(department, DEPARTMENTS, "department")


def check_remedy_type(remedy_type: str) -> str:
    return _check(remedy_type, REMEDY_TYPES, "type")


def check_channel(channel: str) -> str:
    return _check(channel, CHANNELS, "channel")


def check_direction(direction: str) -> str:
    return _check(direction, DIRECTIONS, "direction")
