"""A demo store: realistic cases with real timelines, written through the services.

A small tea and teaware shop with customers in China and abroad. Every case follows a script of
service calls (open, triage, contact, wait, escalate, remedies, responsibility, resolve, survey …)
placed in the past weeks; a fake clock makes each call happen at its moment, so timelines, SLA due
times and pauses are exactly what the services compute. All steps of all cases run in time order,
so an incident links the cases that existed at that moment. The same seed and the same `now` give
the same store.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec

from shopdesk.domain import sla
from shopdesk.domain.cases import Actor, Customer, Order, OrderItem
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.kinds import GROUP_OF_KIND, KINDS
from shopdesk.domain.remedies import REFUNDS, refundable_minor
from shopdesk.domain.workflow import needs_approval
from shopdesk.store import meta
from shopdesk.store import orders as order_rows

OPERATORS = (Actor("li.na", "operator"), Actor("wang.fang", "operator"), Actor("emma", "operator"))
SUPERVISOR = Actor("zhou.min", "supervisor")
OWNER = Actor("lin.feng", "owner")
SYSTEM = Actor("shopdesk", "owner")
INTAKE = Actor("intake", "operator")
STAFF = (*OPERATORS, SUPERVISOR, OWNER)  # operators of a demo store, mapped to who made it

MAX_CASES = 5000
# The detection showcase (orders that trip every rule) opens this many cases by itself; a demo of
# at least SHOWCASE_MIN cases has it, counted in its cases.
SHOWCASE_CASES = 11
SHOWCASE_MIN = 40

# --- the shop's world -------------------------------------------------------------------------

ZH_CUSTOMERS = (
    ("张伟", "zhang.wei"), ("王芳", "wang.fang88"), ("李娜", "lina.sh"), ("刘洋", "liuyang"),
    ("陈静", "chenjing"), ("杨磊", "yanglei"), ("赵敏", "zhaomin"), ("黄晓明", "huangxm"),
    ("周杰", "zhoujie"), ("吴婷", "wuting"), ("徐丽", "xuli"), ("孙浩", "sunhao"),
    ("马云飞", "mayunfei"), ("朱琳", "zhulin"), ("胡军", "hujun"), ("郭晶晶", "guojj"),
    ("林小雨", "linxiaoyu"), ("何佳", "hejia"), ("高翔", "gaoxiang"), ("罗敏", "luomin"),
    ("梁宇", "liangyu"), ("宋雪", "songxue"), ("谢婉", "xiewan"), ("唐瑞", "tangrui"),
)
EN_CUSTOMERS = (
    "Olivia Smith", "James Brown", "Sophie Taylor", "Liam Wilson", "Emily Clarke", "Noah Martin",
    "Grace Lee", "Daniel Evans", "Chloe Walker", "Henry Wright", "Amelia Scott", "Lucas Green",
)
ZH_ADDRESSES = (
    "上海市浦东新区张江路 88 号 3 栋 1201 室",
    "上海市徐汇区漕溪北路 201 弄 5 号 602 室",
    "上海市静安区南京西路 1266 号 18 楼",
    "北京市朝阳区建国路 93 号万达广场 7 号楼 1508",
    "北京市海淀区中关村大街 27 号 1102 室",
    "北京市东城区东直门南大街 11 号 3 单元 401",
    "广东省深圳市南山区科技园南区深南大道 9988 号",
    "广东省深圳市福田区福华三路 168 号 2306 室",
    "广东省深圳市宝安区新安街道创业一路 45 号",
)
EN_ADDRESSES = (
    ("221 King St W, Toronto, ON M5H 1K5, Canada", "CAD"),
    ("45 Queen Street, Auckland 1010, New Zealand", "NZD"),
    ("12 Baker Street, London W1U 3BW, United Kingdom", "GBP"),
    ("1600 Pike Place, Seattle, WA 98101, USA", "USD"),
    ("88 George Street, Sydney NSW 2000, Australia", "AUD"),
)
DOMESTIC_CARRIERS = ("SF Express", "ZTO Express", "YTO Express", "JD Logistics", "EMS", "STO Express", "Yunda")
INCIDENT_CARRIER = "ZTO Express"
PRODUCTS = (
    ("西湖龙井 Longjing green tea 250g", "TEA-LJ250", 16800),
    ("云南普洱茶饼 Pu-erh cake 357g", "TEA-PE357", 22800),
    ("武夷岩茶 大红袍 Da Hong Pao 125g", "TEA-DHP125", 19800),
    ("宜兴紫砂壶 Yixing clay teapot", "POT-YX01", 58800),
    ("白瓷盖碗套装 Porcelain gaiwan set", "SET-GW06", 26800),
    ("竹制茶盘 Bamboo tea tray", "TRAY-BM40", 15800),
    ("茉莉花茶 Jasmine tea 100g", "TEA-JS100", 6800),
    ("玻璃公道杯 Glass pitcher 300ml", "CUP-GL300", 4800),
    ("铁观音 Tieguanyin 200g", "TEA-TGY200", 13800),
    ("旅行茶具 Travel tea set", "SET-TR04", 18800),
)

# kind -> (Chinese title, English title)
TITLES: dict[str, tuple[str, str]] = {
    "order_failed": ("下单失败，页面报错", "Checkout failed with an error page"),
    "order_info_error": ("收货信息填写错误", "Wrong delivery details on the order"),
    "duplicate_order": ("同一订单重复创建", "The same order was placed twice"),
    "order_invalidated": ("订单被系统判定失效", "Order invalidated by the system"),
    "payment_failed": ("支付渠道故障，扣款未到账", "Payment channel failure, charge not received"),
    "payment_mismatch": ("实付金额与订单金额不符", "Amount paid does not match the order total"),
    "payment_timeout": ("超时未支付", "Payment not completed in time"),
    "bulk_unpaid": ("同一买家大量下单不付款", "Many unpaid orders from one buyer"),
    "out_of_stock": ("商品缺货，无法发货", "Item out of stock, cannot ship"),
    "stock_error": ("库存数据与实际不符", "Stock count differs from the shelf"),
    "ship_delayed": ("超过承诺时间未发货", "Not shipped by the promised date"),
    "wrong_item": ("发错商品", "Wrong item sent"),
    "quantity_error": ("发货数量不对", "Wrong quantity delivered"),
    "quality_issue": ("商品质量问题", "Quality problem with the item"),
    "delivery_delayed": ("物流延迟，迟迟未送达", "Delivery delayed"),
    "lost": ("包裹丢失", "Parcel lost in transit"),
    "damaged": ("包裹破损，商品损坏", "Parcel arrived damaged"),
    "refused": ("买家拒收", "Customer refused the parcel"),
    "address_error": ("地址错误，无法投递", "Address error, cannot deliver"),
    "undeliverable": ("多次投递失败", "Delivery failed several times"),
    "cancel_request": ("买家申请取消订单", "Customer asks to cancel"),
    "refund_issue": ("退款未到账", "Refund has not arrived"),
    "return_exchange": ("申请退换货", "Return or exchange requested"),
    "repair": ("茶具需要维修", "Teaware needs repair"),
    "complaint": ("买家投诉服务态度", "Customer complaint about service"),
    "no_response": ("买家联系不上", "Customer does not answer"),
    "urgent_order": ("加急订单：礼品需周五前送达", "Urgent order: gift needed by Friday"),
    "other": ("其他问题", "Other issue"),
}

# kind -> remedy types that fit it, first the usual one
REMEDIES: dict[str, tuple[str, ...]] = {
    "order_failed": ("coupon",), "order_info_error": ("reschedule",),
    "duplicate_order": ("refund_full",), "order_invalidated": ("coupon",),
    "payment_failed": ("refund_full",), "payment_mismatch": ("refund_partial", "cashback"),
    "payment_timeout": ("discount",), "bulk_unpaid": ("gift",),
    "out_of_stock": ("refund_full", "reschedule"), "stock_error": ("coupon", "reschedule"),
    "ship_delayed": ("expedite", "coupon"), "wrong_item": ("reship", "coupon"),
    "quantity_error": ("reship",), "quality_issue": ("replace", "refund_partial"),
    "delivery_delayed": ("coupon", "expedite"), "lost": ("reship", "refund_full"),
    "damaged": ("replace", "refund_partial"), "refused": ("refund_partial",),
    "address_error": ("reship", "reschedule"), "undeliverable": ("reschedule", "reship"),
    "cancel_request": ("refund_full",), "refund_issue": ("refund_full",),
    "return_exchange": ("replace", "refund_full"), "repair": ("reship", "gift"),
    "complaint": ("coupon", "gift"), "no_response": ("reschedule",),
    "urgent_order": ("expedite",), "other": ("gift", "coupon"),
}

# kind -> (party, department, joint department or None)
RESPONSIBILITY: dict[str, tuple[str, str, str | None]] = {
    "order_failed": ("platform", "sales", None), "order_info_error": ("customer", "customer_service", None),
    "duplicate_order": ("platform", "sales", None), "order_invalidated": ("shop", "sales", None),
    "payment_failed": ("platform", "sales", None), "payment_mismatch": ("platform", "sales", "customer_service"),
    "payment_timeout": ("customer", "sales", None), "bulk_unpaid": ("customer", "sales", None),
    "out_of_stock": ("shop", "purchasing", "sales"), "stock_error": ("warehouse", "warehouse", "purchasing"),
    "ship_delayed": ("warehouse", "warehouse", "logistics"), "wrong_item": ("warehouse", "warehouse", "qc"),
    "quantity_error": ("warehouse", "warehouse", None), "quality_issue": ("supplier", "purchasing", "qc"),
    "delivery_delayed": ("carrier", "logistics", None), "lost": ("carrier", "logistics", None),
    "damaged": ("carrier", "logistics", "warehouse"), "refused": ("customer", "customer_service", None),
    "address_error": ("customer", "customer_service", None), "undeliverable": ("carrier", "logistics", None),
    "cancel_request": ("customer", "sales", None), "refund_issue": ("shop", "customer_service", "sales"),
    "return_exchange": ("customer", "customer_service", None), "repair": ("supplier", "qc", None),
    "complaint": ("shop", "customer_service", None), "no_response": ("customer", "customer_service", None),
    "urgent_order": ("shop", "logistics", None), "other": ("unknown", "customer_service", None),
}

# party -> (Chinese root causes, English root causes)
ROOT_CAUSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "shop": (("客服回复不及时", "商品页面描述不清"), ("Slow first reply", "Product page unclear")),
    "warehouse": (("拣货未复核", "包装不足"), ("Picking not double-checked", "Too little padding")),
    "carrier": (("快递中转延误", "派送员操作不当"), ("Carrier hub delay", "Rough handling by the courier")),
    "supplier": (("供应商同批次质量问题", "供应商延迟交货"), ("Faulty supplier batch", "Supplier delivered late")),
    "customer": (("买家填写信息有误", "买家临时改变主意"), ("Customer entered wrong details", "Customer changed their mind")),
    "platform": (("支付通道故障", "平台系统异常"), ("Payment channel outage", "Platform system error")),
    "unknown": (("原因待查",), ("Cause not found",)),
}

MONEY = {"refund_full", "refund_partial", "coupon", "discount", "cashback"}

ZH_TEXT = {
    "first": ("已联系买家致歉并核实情况，告知正在处理", "告知买家问题已登记，24 小时内回复",
              "联系买家，确认订单信息并请其提供照片"),
    "inbound": ("买家回复：希望尽快处理", "买家发来商品照片", "买家来电询问进度"),
    "follow": ("告知买家处理进度", "跟进物流情况并同步买家", "告知买家补偿方案"),
    "note": ("已联系仓库核对出库记录", "已向快递公司提交查件申请", "供应商确认同批次有问题",
             "买家为老客户，注意语气"),
    "resolve": ("补偿已完成，买家确认收到", "已重新发货，买家同意结案", "退款已原路退回，买家确认"),
    "survey": ("处理很快，谢谢", "还可以", "等了太久", "客服态度很好", ""),
    "escalate": ("补偿金额超出权限，需主管审批", "买家要求赔偿，需主管决定", "涉及多个订单，需上报"),
    "decide": ("同意按方案补偿", "改为优惠券补偿", "按平台规则处理"),
    "void": ("重复登记，已合并", "测试订单，误报"),
    "reopen": ("买家反馈问题未解决",),
}
EN_TEXT = {
    "first": ("Apologised and confirmed the details with the customer",
              "Apologised and promised a full answer within 24 hours",
              "Asked the customer for photos and the order details"),
    "inbound": ("Customer replied asking for a quick fix", "Customer sent photos", "Customer called about progress"),
    "follow": ("Told the customer where things stand", "Shared the carrier's latest update", "Offered the remedy"),
    "note": ("Checked the warehouse dispatch log", "Opened a trace with the carrier",
             "Supplier confirms the batch is faulty", "Long-standing customer, be gentle"),
    "resolve": ("Remedy done, customer confirmed", "Reshipped, customer agreed to close", "Refunded to the original card"),
    "survey": ("Quick and helpful, thanks", "OK", "Took too long", "Lovely service", ""),
    "escalate": ("Remedy above my limit, needs a supervisor", "Customer wants compensation, supervisor to decide",
                 "Several orders affected, escalating"),
    "decide": ("Approved as proposed", "Offer a coupon instead", "Follow the platform's rules"),
    "void": ("Duplicate, merged into the other case", "Test order, false alarm"),
    "reopen": ("Customer says the problem is not solved",),
}


# --- the clock and the script ---------------------------------------------------------------------


class DemoClock:
    """The fake clock the demo's Services read; each step sets it to its moment."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Action = Callable[["CaseScript"], Awaitable[Any]]


@dataclass
class Move:
    minutes: int  # after the previous move
    action: Action
    business: bool = True  # an operator's move: placed in business hours
    not_before: datetime | None = None


@dataclass
class CaseScript:
    """One case's story: its opening moment and the service calls that follow."""

    number: int
    kind: str
    level: int
    urgent: bool
    target: str  # the status the story ends in
    zh: bool
    opened_at: datetime
    customer: Customer
    order: Order
    operator: Actor
    moves: list[Move] = field(default_factory=list)
    ref: str = ""
    remedy_ids: list[int] = field(default_factory=list)

    def text(self, key: str, rng: random.Random) -> str:
        return rng.choice((ZH_TEXT if self.zh else EN_TEXT)[key])

    def then(self, minutes: int, action: Action, *, business: bool = True,
             not_before: datetime | None = None) -> None:
        self.moves.append(Move(minutes, action, business, not_before))


@dataclass(order=True)
class Step:
    at: datetime
    sequence: int
    run: Callable[[], Awaitable[Any]] = field(compare=False)


class DemoSummary(msgspec.Struct, kw_only=True):
    cases: int
    orders: int
    detected: int
    incidents: int
    overdue: int
    urgent: int
    by_status: dict[str, int]
    pending_remedies: int


# --- building the stories --------------------------------------------------------------------------


class DemoBuilder:
    def __init__(self, services, *, cases: int, seed: int, now: datetime,
                 showcase: bool = False) -> None:
        self.services = services
        self.count = cases
        self.showcase = showcase
        self.showcase_orders = 0
        self.rng = random.Random(seed)
        self.now = now
        self.calendar = services.policy.calendar
        self.scripts: list[CaseScript] = []
        self.steps: list[Step] = []
        self.sequence = 0
        self.incident_id: int | None = None

    # - placing moments -

    def business(self, moment: datetime) -> datetime:
        return sla.next_business_moment(self.calendar, moment)

    def place(self, script: CaseScript) -> list[datetime]:
        """Times of the moves; the opening moves earlier until the last move is in the past."""
        limit = self.now - timedelta(minutes=2)
        opened = script.opened_at
        for _ in range(12):
            times, moment = [], opened
            for move in script.moves:
                moment = moment + timedelta(minutes=move.minutes)
                if move.not_before is not None:
                    moment = max(moment, move.not_before)
                if move.business:
                    moment = self.business(moment)
                times.append(moment)
            if not times or times[-1] <= limit:
                script.opened_at = opened
                return times
            opened -= (times[-1] - limit) + timedelta(hours=6)
        # Could not fit in business hours: squeeze the story, in order, before `limit`.
        span = max((limit - script.opened_at).total_seconds(), 60.0)
        step = span / (len(script.moves) + 1)
        return [script.opened_at + timedelta(seconds=step * (i + 1)) for i in range(len(script.moves))]

    def schedule(self, at: datetime, run: Callable[[], Awaitable[Any]]) -> None:
        self.sequence += 1
        self.steps.append(Step(at, self.sequence, run))

    # - the world -

    def customer_and_order(self, number: int, kind: str, zh: bool, opened_at: datetime,
                           urgent: bool, carrier: str | None = None) -> tuple[Customer, Order]:
        rng = self.rng
        if zh:
            name, handle = rng.choice(ZH_CUSTOMERS)
            phone = f"+86 13{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
            email = f"{handle}{rng.randint(1, 99)}@{rng.choice(('qq.com', '163.com', 'foxmail.com'))}"
            address, currency = rng.choice(ZH_ADDRESSES), "CNY"
            carrier = carrier or rng.choice(DOMESTIC_CARRIERS)
        else:
            name = rng.choice(EN_CUSTOMERS)
            phone = f"+{rng.choice(('1', '44', '61', '64'))} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            email = f"{name.lower().replace(' ', '.')}@{rng.choice(('gmail.com', 'outlook.com', 'icloud.com'))}"
            address, currency = rng.choice(EN_ADDRESSES)
            carrier = carrier or rng.choice(("SF Express", "EMS"))
        customer = Customer(name=name, email=email, phone=phone)
        lines = [rng.choice(PRODUCTS) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        rate = 1 if currency == "CNY" else 5  # rough conversion for orders shipped abroad
        items = [OrderItem(name=n, sku=sku, price_minor=price // rate, quantity=rng.choice((1, 1, 2)))
                 for n, sku, price in dict.fromkeys(lines)]
        if kind == "bulk_unpaid":
            items = [OrderItem(name=items[0].name, sku=items[0].sku, price_minor=items[0].price_minor,
                               quantity=rng.randint(8, 20))]
        total = sum(item.price_minor * item.quantity for item in items)
        placed = opened_at - timedelta(hours=rng.randint(2, 96), minutes=rng.randint(0, 59))
        group = GROUP_OF_KIND[kind]
        paid = group not in ("payment",) or kind == "payment_mismatch"
        shipped = group in ("delivery", "after_sales", "customer") or kind in ("wrong_item", "quantity_error", "quality_issue")
        delivered = group in ("after_sales",) or kind in ("wrong_item", "quantity_error", "quality_issue", "damaged", "complaint")
        paid_minor = total if paid else 0
        if kind == "payment_mismatch":
            paid_minor = total - rng.choice((100, 500, 1000, 2000))
        status = "delivered" if delivered else "shipped" if shipped else "paid" if paid else "pending"
        if kind == "cancel_request":
            status = "cancel_requested"
        tracking = self.tracking_number(carrier) if shipped else ""
        tags = ["vip"] if urgent and kind != "urgent_order" else ["urgent"] if kind == "urgent_order" else []
        order = Order(
            source="demo",
            external_id=str(rng.randint(10**18, 9 * 10**18)),  # larger than 2^53, like Shopify's
            number=f"#{10000 + number}",
            customer=customer,
            address=address,
            items=items,
            total_minor=total,
            paid_minor=paid_minor,
            currency=currency,
            status=status,
            carrier=carrier if shipped else "",
            tracking_number=tracking,
            placed_at=placed,
            paid_at=placed + timedelta(minutes=rng.randint(1, 20)) if paid else None,
            shipped_at=placed + timedelta(hours=rng.randint(6, 30)) if shipped else None,
            delivered_at=opened_at - timedelta(hours=rng.randint(1, 20)) if delivered else None,
            ship_by=placed + timedelta(hours=48),
            deliver_by=placed + timedelta(days=5 if urgent else 7),
            tags=tags,
        )
        return customer, order

    def tracking_number(self, carrier: str) -> str:
        digits = lambda n: "".join(str(self.rng.randint(0, 9)) for _ in range(n))  # noqa: E731
        return {
            "SF Express": lambda: "SF" + digits(13),
            "ZTO Express": lambda: "7" + digits(13),
            "YTO Express": lambda: "YT" + digits(13),
            "JD Logistics": lambda: "JDV" + digits(12),
            "EMS": lambda: "E" + self.rng.choice("ABCDLMR") + digits(9) + "CN",
            "STO Express": lambda: "77" + digits(11),
            "Yunda": lambda: "43" + digits(11),
        }[carrier]()

    # - which cases -

    def plan(self) -> None:
        rng = self.rng
        kinds = list(KINDS)
        rng.shuffle(kinds)
        statuses = ["new", "open", "waiting", "escalated", "resolved", "closed", "void"]
        weights = [12, 22, 10, 10, 16, 24, 6]
        incident_cases = min(8, max(0, self.count - len(kinds) - len(statuses)))
        regular = self.count - incident_cases
        specs = []
        for index in range(regular):
            kind = kinds[index] if index < len(kinds) else rng.choice(kinds)
            target = statuses[index % len(statuses)] if index < len(statuses) else rng.choices(statuses, weights)[0]
            level = (index % 3) + 1 if index < 3 else rng.choices((1, 2, 3), (50, 35, 15))[0]
            urgent = kind == "urgent_order" or rng.random() < 0.12
            specs.append((kind, level, urgent, target, self.opening(target)))
        self.incident_start = self.business(self.now - timedelta(days=12))
        for _ in range(incident_cases):
            kind = rng.choice(("delivery_delayed", "delivery_delayed", "lost", "damaged"))
            target = rng.choice(("closed", "closed", "closed", "resolved", "waiting"))
            opened = self.incident_start + timedelta(minutes=rng.randint(30, 20 * 60))
            specs.append((kind, rng.choice((2, 2, 3)), rng.random() < 0.2, target, opened))
        specs.sort(key=lambda spec: spec[4])
        incident_kinds = set()
        for number, (kind, level, urgent, target, opened) in enumerate(specs, start=1):
            in_incident = self.incident_start <= opened <= self.incident_start + timedelta(hours=21) and kind in (
                "delivery_delayed", "lost", "damaged")
            zh = rng.random() < 0.7
            carrier = INCIDENT_CARRIER if in_incident and zh else None
            customer, order = self.customer_and_order(number, kind, zh, opened, urgent, carrier)
            script = CaseScript(
                number=number, kind=kind, level=level, urgent=urgent, target=target, zh=zh,
                opened_at=opened, customer=customer, order=order, operator=rng.choice(OPERATORS),
            )
            if carrier == INCIDENT_CARRIER:
                incident_kinds.add(kind)
            self.story(script, incident=carrier == INCIDENT_CARRIER)
            self.scripts.append(script)
        self.plan_incident(sorted(incident_kinds))

    def opening(self, target: str) -> datetime:
        """When a case with this ending was opened: open work is recent or (overdue) old."""
        rng = self.rng
        hours = {
            "new": rng.choice((rng.uniform(0.1, 3), rng.uniform(0.1, 3), rng.uniform(20, 90))),
            "open": rng.choice((rng.uniform(1, 30), rng.uniform(1, 48), rng.uniform(80, 300))),
            "waiting": rng.uniform(10, 200),
            "escalated": rng.choice((rng.uniform(4, 40), rng.uniform(60, 300))),
            "resolved": rng.uniform(30, 150),
            "closed": rng.uniform(200, 500),
            "void": rng.uniform(24, 400),
        }[target]
        return (self.now - timedelta(hours=hours)).replace(second=0, microsecond=0)

    # - one case's story -

    def story(self, script: CaseScript, *, incident: bool = False) -> None:
        rng = self.rng
        target = script.target
        script.then(0, self.act_open, business=False)
        if target == "new":
            self.finish(script)
            return
        script.then(rng.randint(5, 90), self.act_triage)
        if rng.random() < 0.8:
            script.then(rng.randint(1, 10), self.act_take)
        if target == "void":
            script.then(rng.randint(10, 120), self.act_void)
            self.finish(script)
            return
        if incident:
            script.then(10, self.act_incident_notice,
                        not_before=self.incident_start + timedelta(hours=22, minutes=30))
        else:
            script.then(rng.randint(5, 120), self.act_first_contact)
        if rng.random() < 0.5:
            script.then(rng.randint(30, 600), self.act_inbound, business=False)
        if rng.random() < 0.4:
            script.then(rng.randint(10, 240), self.act_note)
        if target == "open":
            if rng.random() < 0.4:
                script.then(rng.randint(10, 240), self.act_propose)
            self.finish(script)
            return
        if target == "waiting" or (target in ("resolved", "closed") and rng.random() < 0.4):
            script.then(rng.randint(10, 120), self.act_wait)
            if target == "waiting":
                self.finish(script)
                return
            script.then(rng.randint(120, 1500), self.act_resume)
        if target == "escalated":
            if rng.random() < 0.5:
                script.then(rng.randint(10, 240), self.act_propose_large)
            breached = (self.now - script.opened_at) > timedelta(hours=60)
            script.then(rng.randint(5, 60), self.act_breach if breached else self.act_escalate)
            self.finish(script)
            return
        # resolved / closed
        if rng.random() < 0.35:
            script.then(rng.randint(10, 240), self.act_propose_large)
            script.then(rng.randint(5, 60), self.act_escalate)
            script.then(rng.randint(30, 480), self.act_decide_and_approve)
        else:
            script.then(rng.randint(10, 240), self.act_propose)
        script.then(rng.randint(60, 1440), self.act_complete)
        script.then(rng.randint(5, 120), self.act_follow_up)
        script.then(rng.randint(5, 60), self.act_responsibility)
        script.then(rng.randint(5, 120), self.act_resolve)
        if target == "closed":
            if rng.random() < 0.15:
                script.then(rng.randint(120, 1440), self.act_reopen, business=False)
                script.then(rng.randint(30, 480), self.act_follow_up)
                script.then(rng.randint(10, 240), self.act_resolve)
            if incident or rng.random() < 0.7:
                script.then(rng.randint(600, 4000), self.act_survey, business=False)
            else:
                script.then(7 * 24 * 60 + rng.randint(0, 600), self.act_auto_close, business=False)
        self.finish(script)

    def finish(self, script: CaseScript) -> None:
        times = self.place(script)
        self.schedule(script.opened_at, lambda: script.moves[0].action(script))
        for move, moment in zip(script.moves[1:], times[1:], strict=True):
            self.schedule(moment, lambda move=move: move.action(script))

    # - the incident -

    def plan_incident(self, kinds: list[str]) -> None:
        start = self.incident_start
        incidents = self.services.incidents

        async def declare() -> None:
            incident = await incidents.declare(
                SUPERVISOR, title=f"{INCIDENT_CARRIER} Shanghai hub outage (中通上海转运中心停摆)",
                type="carrier_outage", level=2, started_at=start,
                description="Sorting centre down after a system failure; parcels held 2–4 days.",
            )
            self.incident_id = incident.id

        async def link() -> None:
            if self.incident_id is None or not kinds:
                return
            await incidents.link(SUPERVISOR, self.incident_id, CaseFilter(
                carrier=INCIDENT_CARRIER, kinds=kinds, opened_from=start,
                opened_to=start + timedelta(hours=22),
            ))

        async def end() -> None:
            if self.incident_id is None:
                return
            await incidents.end(
                OWNER, self.incident_id,
                cause="The carrier's sorting system failed after an update; no fallback routing.",
                impact="Parcels to East China delayed 2–4 days; one lost, one damaged.",
                changes="Watch carrier notices daily; switch East China to SF Express when a hub stops.",
                ended_at=start + timedelta(days=3),
            )

        self.schedule(start + timedelta(minutes=20), declare)
        self.schedule(start + timedelta(hours=22), link)
        self.schedule(start + timedelta(days=4), end)

    # --- the actions (each one service call or a few) ---

    async def act_open(self, script: CaseScript) -> None:
        rng = self.rng
        order = await self.services.orders.record_order(script.order, at=script.opened_at)
        for type_, at in (("created", order.placed_at), ("paid", order.paid_at),
                          ("shipped", order.shipped_at), ("delivered", order.delivered_at)):
            if at is not None and at <= script.opened_at:
                await self.services.orders.add_event(order.id, type_, at=at, data={})
        zh_title, en_title = TITLES[script.kind]
        detection = GROUP_OF_KIND[script.kind] in ("payment", "order") or script.kind in ("ship_delayed",)
        opener = INTAKE if detection else script.operator
        case, _ = await self.services.cases.open(
            opener, kind=script.kind, level=1 if script.target != "new" and script.level > 1 and rng.random() < 0.3 else script.level,
            urgent=script.urgent, title=zh_title if script.zh else en_title,
            description=(f"{zh_title}。订单 {order.number}，{order.carrier or '未发货'} {order.tracking_number}".strip()
                         if script.zh else f"{en_title}. Order {order.number}, {order.carrier or 'not shipped'} {order.tracking_number}".strip()),
            order_id=order.id,
            evidence=[f"photos/{order.number.strip('#')}-{n}.jpg" for n in range(rng.choice((0, 0, 1, 2)))],
            source="demo",
        )
        script.ref = case.ref

    async def act_triage(self, script: CaseScript) -> None:
        await self.services.cases.triage(script.operator, script.ref, level=script.level, urgent=script.urgent)

    async def act_take(self, script: CaseScript) -> None:
        await self.services.cases.take(script.operator, script.ref)

    async def act_void(self, script: CaseScript) -> None:
        await self.services.cases.void(script.operator, script.ref, script.text("void", self.rng))

    async def act_first_contact(self, script: CaseScript) -> None:
        rng = self.rng
        template = {"delivery": "delay_notice", "stock": "out_of_stock_notice"}.get(GROUP_OF_KIND[script.kind], "apology")
        await self.services.cases.log_contact(
            script.operator, script.ref, channel=rng.choice(("phone", "sms", "chat", "platform") if script.zh else ("email", "phone", "chat")),
            direction="outbound", template=template, summary=script.text("first", rng),
        )

    async def act_incident_notice(self, script: CaseScript) -> None:
        await self.services.cases.log_contact(
            script.operator, script.ref, channel="sms", direction="outbound", template="incident_notice",
            summary="中通上海转运中心停摆，包裹预计延迟 2–4 天，已为您跟进" if script.zh
            else "ZTO's Shanghai hub is down; your parcel is 2–4 days late and we are on it",
        )

    async def act_inbound(self, script: CaseScript) -> None:
        await self.services.cases.log_contact(
            INTAKE if self.rng.random() < 0.3 else script.operator, script.ref,
            channel=self.rng.choice(("phone", "chat", "email")), direction="inbound",
            summary=script.text("inbound", self.rng),
        )

    async def act_follow_up(self, script: CaseScript) -> None:
        await self.services.cases.log_contact(
            script.operator, script.ref, channel=self.rng.choice(("phone", "sms", "email", "chat")),
            direction="outbound", template="refund_notice" if script.remedy_ids else None,
            summary=script.text("follow", self.rng),
        )

    async def act_note(self, script: CaseScript) -> None:
        await self.services.cases.add_note(script.operator, script.ref, script.text("note", self.rng))

    async def act_wait(self, script: CaseScript) -> None:
        on = {"delivery": "carrier", "stock": "supplier", "fulfilment": "warehouse"}.get(
            GROUP_OF_KIND[script.kind], "customer")
        await self.services.cases.wait(script.operator, script.ref, on=on, note=script.text("follow", self.rng))

    async def act_resume(self, script: CaseScript) -> None:
        await self.services.cases.resume(script.operator, script.ref, note=script.text("inbound", self.rng))

    def remedy_amount(self, script: CaseScript, remedy: str, large: bool) -> int:
        total = max(script.order.total_minor, 1000)
        if remedy not in MONEY:
            return 0
        if remedy == "refund_full":
            return total
        limit = self.services.settings.approval_limits.operator
        if large:
            return max(limit + 100 * self.rng.randint(10, 200), total // 2)
        return min(limit, 100 * self.rng.choice((10, 20, 30, 50, 80)))

    async def propose(self, script: CaseScript, large: bool) -> None:
        kinds = REMEDIES[script.kind]
        remedy = kinds[0] if large or self.rng.random() < 0.7 else self.rng.choice(kinds)
        if large and remedy not in MONEY:
            remedy = "refund_partial" if "refund_full" not in kinds else "refund_full"
        amount = self.remedy_amount(script, remedy, large)
        if remedy == "refund_full" and not large and amount > self.services.settings.approval_limits.operator:
            remedy, amount = "coupon", self.remedy_amount(script, "coupon", False)
        if remedy in REFUNDS:  # a refund never exceeds what the order's payment left
            amount = min(amount, refundable_minor(script.order) or amount)
        created = await self.services.cases.propose_remedy(
            script.operator, script.ref, type=remedy, amount_minor=amount, currency=script.order.currency,
            note=script.text("follow", self.rng),
        )
        script.remedy_ids.append(created.id)

    async def act_propose(self, script: CaseScript) -> None:
        await self.propose(script, large=False)

    async def act_propose_large(self, script: CaseScript) -> None:
        await self.propose(script, large=True)

    async def act_escalate(self, script: CaseScript) -> None:
        await self.services.cases.escalate(script.operator, script.ref, script.text("escalate", self.rng))

    async def act_breach(self, script: CaseScript) -> None:
        """What the sweep does to a breached case: escalate it once, as shopdesk."""
        await self.services.cases.escalate(SYSTEM, script.ref, "SLA breached")

    async def act_decide_and_approve(self, script: CaseScript) -> None:
        cases = self.services.cases
        pending = [remedy_id for remedy_id in script.remedy_ids]
        for remedy_id in pending:
            remedy = (await cases.detail(script.ref)).remedies
            status = next(r.status for r in remedy if r.id == remedy_id)
            if status != "proposed":
                continue
            amount, currency = next((r.amount_minor, r.currency) for r in remedy if r.id == remedy_id)
            limit = self.services.settings.approval_limits.supervisor
            shop_currency = self.services.settings.currency
            approver = OWNER if needs_approval(amount, limit, currency=currency,
                                               limit_currency=shop_currency) else SUPERVISOR
            await cases.approve_remedy(approver, remedy_id, note=script.text("decide", self.rng))
        case = await cases.get(script.ref)
        if case.status == "escalated":
            decider = OWNER if case.tier == "owner" else SUPERVISOR
            await cases.return_to_operator(decider, script.ref, script.text("decide", self.rng))

    async def act_complete(self, script: CaseScript) -> None:
        cases = self.services.cases
        for remedy in (await cases.detail(script.ref)).remedies:
            if remedy.status == "approved":
                await cases.complete_remedy(script.operator, remedy.id, note="done")
            elif remedy.status == "proposed":
                await cases.reject_remedy(SUPERVISOR, remedy.id, "Too much for this case; offer a coupon")

    async def act_responsibility(self, script: CaseScript) -> None:
        party, department, joint = RESPONSIBILITY[script.kind]
        if joint is not None and self.rng.random() < 0.3:
            joint = None
        await self.services.cases.set_responsibility(
            SUPERVISOR if self.rng.random() < 0.3 else script.operator, script.ref, party=party,
            department=department, joint_department=joint,
            root_cause=self.rng.choice(ROOT_CAUSES[party][0 if script.zh else 1]),
        )

    async def act_resolve(self, script: CaseScript) -> None:
        case = await self.services.cases.get(script.ref)
        if case.status == "escalated":
            await self.services.cases.return_to_operator(
                OWNER if case.tier == "owner" else SUPERVISOR, script.ref, script.text("decide", self.rng))
        await self.services.cases.resolve(script.operator, script.ref, script.text("resolve", self.rng))

    async def act_reopen(self, script: CaseScript) -> None:
        await self.services.cases.reopen(script.operator, script.ref, script.text("reopen", self.rng))

    async def act_survey(self, script: CaseScript) -> None:
        score = self.rng.choices((1, 2, 3, 4, 5), (5, 7, 15, 35, 38))[0]
        await self.services.cases.record_survey(INTAKE, script.ref, score, script.text("survey", self.rng))

    async def act_auto_close(self, script: CaseScript) -> None:
        await self.services.cases.close(SYSTEM, script.ref)

    # - running -

    async def run(self) -> None:
        self.plan()
        clock = self.services.clock
        for step in sorted(self.steps):
            clock.now = min(step.at, self.now)
            await step.run()
        clock.now = self.now
        if self.showcase:
            await self.detection_showcase()

    async def detection_showcase(self) -> None:
        """Orders that trip every detection rule, then one sweep: a new user sees cases that
        opened by themselves (the Detected view). The stories' orders already have their cases
        and are not checked again."""
        from shopdesk.store import detection as detection_rows
        from shopdesk.store import orders as order_rows

        now, rng = self.now, self.rng
        tea, pot = PRODUCTS[0], PRODUCTS[1]
        cups = ("限量 汝窑 品茗杯 Ru-ware cups (limited)", "CUP-RU-LTD", 26800)  # sold out below

        def order(number: int, name: str, phone: str, product=tea, *, hours_ago: float = 30,
                  paid: bool = True, **fields) -> Order:
            placed = now - timedelta(hours=hours_ago)
            values: dict[str, Any] = dict(
                source="demo", external_id=str(rng.randint(10**18, 9 * 10**18)),
                number=f"#{20000 + number}", customer=Customer(name=name, phone=phone,
                                                             email=f"d{number}@qq.com"),
                address=ZH_ADDRESSES[number % len(ZH_ADDRESSES)],
                items=[OrderItem(name=product[0], sku=product[1], price_minor=product[2])],
                total_minor=product[2], paid_minor=product[2] if paid else 0, currency="CNY",
                status="paid" if paid else "pending", placed_at=placed,
                paid_at=placed + timedelta(minutes=3) if paid else None,
                ship_by=placed + timedelta(days=3), deliver_by=placed + timedelta(days=7))
            values.update(fields)
            return Order(**values)

        shipped = dict(status="shipped", carrier="SF Express", tracking_number="SF1488200371")
        orders = [
            order(1, "钱多多", "+86 139 1100 0001", hours_ago=3, paid=False),  # payment_timeout
            order(2, "孙丽", "+86 139 1100 0002", paid_minor=tea[2] - 2000),  # payment_mismatch
            order(3, "郑凯", "+86 139 1100 0003", hours_ago=2.1),  # duplicate_order: the first …
            order(4, "郑凯", "+86 139 1100 0003", hours_ago=2),  # … and the same again
            *[order(5 + n, "匿名买家", "+86 139 1100 0005", product, hours_ago=0.25 - n * 0.05,
                    paid=False) for n, product in enumerate((tea, pot, cups))],  # bulk_unpaid
            order(8, "冯晨", "+86 139 1100 0008", hours_ago=80,
                  ship_by=now - timedelta(hours=5)),  # ship_delayed
            order(9, "Olivia Brown", "+61 412 555 019", hours_ago=200,
                  shipped_at=now - timedelta(days=7), last_tracking_at=now - timedelta(days=4),
                  **shipped),  # delivery_delayed: tracking stalled
            order(10, "何静", "+86 139 1100 0010", hours_ago=240,
                  shipped_at=now - timedelta(days=9), delivered_at=now - timedelta(days=7),
                  status="delivered", carrier="SF Express",
                  tracking_number="SF1488200372"),  # refund_issue (its request below)
            order(11, "蒋涛", "N/A"),  # address_error
            order(12, "韩雪", "+86 139 1100 0012", cups),  # out_of_stock (stock below)
            order(13, "曹颖", "+86 139 1100 0013", note="请加急，周五前要送人",
                  tags=["vip"], deliver_by=now + timedelta(hours=20)),  # urgent_order
        ]
        async with self.services.store.transaction() as conn:
            await detection_rows.clear_checks(conn)  # the stories' orders have their cases
            ids = [await order_rows.upsert_order(conn, item, now) for item in orders]
            await order_rows.insert_order_event(
                conn, ids[9], type="refund_requested", at=now - timedelta(days=5),
                data={"reason": "茶叶受潮"})
            await detection_rows.upsert_stock(conn, {cups[1]: 0}, source="demo", at=now)
        self.showcase_orders = len(orders)
        await self.services.detection.sweep()


class DemoPresent(ValidationError):
    """The store already holds the demo: running `demo` again changes nothing (not an error)."""


# store_meta key set once a store is filled with the demo.
DEMO_KEY = "demo"


async def holds_demo(store) -> bool:
    """Whether `store` was filled by `demo` (marked so; or, made before the mark, only demo
    orders)."""
    if await meta.get_value(store.reader, DEMO_KEY) is not None:
        return True
    return await order_rows.only_demo_orders(store.reader)


async def fill_demo(store, settings=None, *, cases: int = 120, seed: int = 7,
                    now: datetime | None = None, account: str | None = None) -> DemoSummary:
    """Fill an empty store with `cases` demo cases, their orders and one past incident."""
    from shopdesk.services import Services, utc_now

    if not 1 <= cases <= MAX_CASES:
        raise ValidationError(f"--cases must be from 1 to {MAX_CASES}, not {cases}", field="cases")
    now = (now or utc_now()).replace(second=0, microsecond=0)
    services = Services(store, settings, clock=DemoClock(now))
    existing = await services.cases.count(CaseFilter())
    if existing:
        if await holds_demo(store):
            raise DemoPresent(f"{store.path} already holds the demo ({existing} cases); "
                              "nothing changed", field="db")
        raise ValidationError(
            f"{store.path} already has {existing} case(s); the demo fills an empty store only "
            "(use --db with a new file)", field="db",
        )
    showcase = cases >= SHOWCASE_MIN
    builder = DemoBuilder(services, cases=cases - SHOWCASE_CASES if showcase else cases, seed=seed,
                          now=now, showcase=showcase)
    await builder.run()
    services.clock.now = now
    async with store.transaction() as conn:
        await meta.set_value(conn, DEMO_KEY, f"cases={cases} seed={seed}")
    if account:  # the account that made the demo owns it, and may act as every one of its staff
        await services.operators.ensure_owner(account, staff=[(a.name, a.role) for a in STAFF])
    by_status: dict[str, int] = {}
    for status in ("new", "open", "waiting", "escalated", "resolved", "closed", "void"):
        by_status[status] = await services.cases.count(CaseFilter(statuses=[status]))
    return DemoSummary(
        cases=await services.cases.count(CaseFilter()),
        orders=len(builder.scripts) + builder.showcase_orders,
        detected=await services.cases.count(CaseFilter(source="detection")),
        incidents=len(await services.incidents.list()),
        overdue=await services.cases.count(CaseFilter(statuses=["new", "open", "escalated"], overdue=True)),
        urgent=await services.cases.count(CaseFilter(urgent=True, statuses=["new", "open", "waiting", "escalated"])),
        by_status=by_status,
        pending_remedies=len(await services.cases.pending_remedies()),
    )
