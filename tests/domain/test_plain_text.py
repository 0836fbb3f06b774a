"""Control characters from shops never reach the store (intake) nor the terminal (display): N21."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopdesk.domain.cases import Customer, Order, OrderItem
from shopdesk.domain.intake import generic, shopify, woocommerce
from shopdesk.domain.plain_text import plain, plain_copy

DATA = Path(__file__).parent.parent / "data" / "webhooks"
RED = "\x1b[31mRED\x1b[0m"
TITLE = "\x1b]0;PWNED\x07"
HOSTILE = f"{RED}{TITLE}Eve\x1b[2J\x9b2J\x9d52;c;QUJD\x9c\x00\x07\x08\x7f\x85!"


def has_control(text: str) -> bool:
    return any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in text)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"{RED}{TITLE}Eve", "REDEve"),  # colours and the window title: gone whole
        ("esc \x1b[2J cleared", "esc  cleared"),  # clear screen
        ("\x1b]52;c;aGVsbG8=\x1b\\copied", "copied"),  # OSC 52 clipboard write, ESC \ ended
        ("\x9d52;c;aGVsbG8=\x9cC1", "C1"),  # the same in 8-bit form
        ("\x1bcreset", "reset"),  # ESC c resets the terminal
        ("bell\x07 back\x08space\x00nul\x7fdel", "bell backspacenuldel"),
        ("unterminated \x1b]0;rest of the title", "unterminated "),
        ("王芳 [/] [b]x", "王芳 [/] [b]x"),  # ordinary text, brackets included, stays as it is
    ],
)
def test_plain_drops_escape_sequences_and_control_characters(raw, shown):
    assert plain(raw) == shown


def test_line_breaks_stay_in_multiline_text_and_become_spaces_in_one_line_text():
    assert plain("a\r\nb\rc\n\td", multiline=True) == "a\nb\nc\n\td"
    assert plain("a\r\nb\nc\td") == "a b c d"
    assert plain("no controls") == "no controls"


def test_plain_copy_cleans_every_string_of_a_struct_and_keeps_clean_ones_as_they_are():
    order = Order(source="shop", external_id="1", customer=Customer(name=HOSTILE, phone="1\x1b[A"),
                  address=f"Room 5\n{RED} door", carrier=f"SF{TITLE}",
                  items=[OrderItem(name=f"Tea{RED}")], tags=["vip\x1b[1m"])
    clean = plain_copy(order)
    assert clean.customer.name == "REDEve!"
    assert clean.customer.phone == "1"
    assert clean.address == "Room 5\nRED door"  # an address keeps its lines
    assert (clean.carrier, clean.items[0].name, clean.tags) == ("SF", "TeaRED", ["vip"])
    untouched = Order(source="shop", external_id="2", customer=Customer(name="Bob [/]"))
    assert plain_copy(untouched) is untouched
    assert plain_copy({"note": "a\nb\x1b[2J", "k\x07": ["x\ty"]}) == {"note": "a\nb", "k": ["x y"]}


def test_generic_webhook_order_event_data_and_report_arrive_without_controls():
    body = json.dumps({
        "type": "created", "id": f"ev{RED}", "data": {"note": f"hi{TITLE}"},
        "order": {"id": "o1", "number": f"#1{RED}", "customer": {"name": HOSTILE,
                                                                  "email": f"e{RED}@x"},
                  "address": f"l1\nl2{TITLE}", "carrier": f"SF{RED}", "tracking_number": "T\x1b[K1",
                  "items": [{"name": f"Tea{TITLE}", "sku": "S\x1b[1m"}]},
        "report": {"kind": "damaged", "title": "esc \x1b[2J cleared",
                   "description": f"line 1\nline 2{RED}", "evidence": [f"photo{TITLE}.jpg"]},
    }).encode()
    mapped = generic.map_event("shop", body)
    order, report = mapped.order, mapped.report
    assert order.customer.name == "REDEve!" and order.customer.email == "eRED@x"
    assert (order.number, order.address, order.carrier) == ("#1RED", "l1\nl2", "SFRED")
    assert (order.tracking_number, order.items[0].name, order.items[0].sku) == ("T1", "Tea", "S")
    assert report.title == "esc  cleared"
    assert report.description == "line 1\nline 2RED"
    assert report.evidence == ["photo.jpg"]
    assert mapped.events[0].data == {"note": "hi"}
    assert not has_control(msgspec_text(mapped))


def test_woocommerce_controls_spelled_as_html_entities_are_dropped_too():
    body = {
        "id": 82, "number": "82", "status": "processing", "currency": "CNY", "total": "10.00",
        "billing": {"first_name": "&#27;[31mEve", "last_name": "Doe\x1b]0;PWNED\x07",
                    "phone": "1\x1b[A"},
        "shipping": {"first_name": "Eve", "address_1": "Room 5 &#27;[2J[back door]"},
        "line_items": [{"name": "Tea &#x1b;[1mset", "quantity": 1, "price": 10}],
    }
    order = woocommerce.map_delivery("woo", "order.created", json.dumps(body).encode()).order
    assert not has_control(msgspec_text(order))
    assert "Eve" in order.customer.name and "PWNED" not in order.customer.name
    assert order.customer.phone == "1"
    assert "[back door]" in order.address
    assert order.items[0].name.startswith("Tea ")


def test_shopify_order_and_fulfillment_arrive_without_controls():
    raw = json.loads((DATA / "shopify_order.json").read_text())
    raw.setdefault("customer", {})["first_name"] = f"{RED}Eve"
    raw["note"] = f"call first{TITLE}"
    order = shopify.map_delivery("sh", "orders/create", None, json.dumps(raw).encode(), "d").order
    assert not has_control(msgspec_text(order))
    shipment = json.loads((DATA / "shopify_fulfillment.json").read_text())
    shipment["tracking_company"] = f"SF{TITLE}Express"
    shipment["tracking_number"] = "SF1\x1b[2J"
    mapped = shopify.map_delivery("sh", "fulfillments/create", "w1", json.dumps(shipment).encode(),
                                  "d")
    assert mapped.patch.values["carrier"] == "SFExpress"
    assert mapped.patch.values["tracking_number"] == "SF1"
    assert mapped.events[0].data["carrier"] == "SFExpress"


def msgspec_text(value: object) -> str:
    """Every string in `value` (keys too), one after the other."""
    import msgspec

    def strings(item: object):
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, inner in item.items():
                yield from strings(key)
                yield from strings(inner)
        elif isinstance(item, list):
            for inner in item:
                yield from strings(inner)

    return "".join(strings(msgspec.to_builtins(value)))
