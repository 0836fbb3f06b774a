"""Customer templates: every template in both languages, filled from the case and its order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopdesk.domain import templates
from shopdesk.domain.cases import Case, Customer, Order
from shopdesk.domain.errors import ValidationError

AT = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)


def make_case(**values) -> Case:
    fields = dict(
        id=7, ref="C-000007", kind="delivery_delayed", level=2, urgent=False, status="open",
        tier="operator", title="", description="", assignee=None, department=None,
        responsible_party=None, responsible_department=None, joint_department=None,
        root_cause="", evidence=[], order_id=None, customer=Customer(name="Olivia Smith"),
        source="api", opened_by="intake", opened_at=AT, first_response_at=None,
        first_response_due_at=None, resolution_due_at=None, due_at=None, resolved_at=None,
        closed_at=None, resolution="", version=1, updated_at=AT, updated_by="intake",
    )
    fields.update(values)
    return Case(**fields)


ORDER = Order(
    source="shopify", external_id="99", number="#1042", customer=Customer(name="张伟"),
    carrier="SF Express", tracking_number="SF1234567890",
)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("template_id", templates.TEMPLATE_IDS)
def test_every_template_fills_without_placeholders(template_id, lang):
    text = templates.render(template_id, lang, make_case(customer=Customer()), ORDER, "Teahouse")
    assert "{" not in text and "}" not in text
    assert "张伟" in text and "#1042" in text and "Teahouse" in text
    assert templates.title(template_id, lang)


def test_delay_notice_names_carrier_and_tracking_number():
    text = templates.render("delay_notice", "zh", make_case(), ORDER, "茶舍")
    assert "SF Express" in text and "SF1234567890" in text and "茶舍" in text


def test_without_an_order_the_case_snapshot_and_neutral_words_fill_in():
    case = make_case(order_number="", carrier="", tracking_number="")
    text = templates.render("delay_notice", "en", case, None, "")
    assert "Dear Olivia Smith" in text
    assert "(no order)" in text and "the carrier" in text and "our shop" in text
    assert "亲爱的顾客" in templates.render("apology", "zh", make_case(customer=Customer()), None, "")


def test_unknown_template_and_language():
    with pytest.raises(ValidationError) as error:
        templates.render("threat", "en", make_case(), ORDER, "x")
    assert error.value.field == "template"
    assert templates.render("apology", "fr", make_case(), ORDER, "x").startswith("Dear")


def test_a_case_about_someone_else_than_the_buyer_addresses_the_cases_customer():
    """QA N26: a caller (or a gift's recipient) reports about another person's order: the message
    is for the case's customer, in their language; the buyer stands in only for a case naming nobody."""
    caller = make_case(customer=Customer(name="陈先生", phone="13912345678"))
    buyer = Order(source="woocommerce", external_id="10036", number="#10036",
                  customer=Customer(name="Daniel Evans", phone="+1 292 326 2263"))
    text = templates.render("apology", "en", caller, buyer, "Teahouse")
    assert text.startswith("Dear 陈先生,") and "Daniel Evans" not in text and "#10036" in text
    assert templates.suggested_language(caller, buyer, "en") == "zh"
    assert templates.render("apology", "en", make_case(customer=Customer()), buyer, "x").startswith(
        "Dear Daniel Evans,")
    assert templates.addressee(make_case(customer=Customer(phone="139")), buyer) == "Daniel Evans"


def test_suggested_language_follows_the_customers_name():
    assert templates.suggested_language(make_case(customer=Customer()), ORDER, "en") == "zh"
    assert templates.suggested_language(make_case(), ORDER, "zh") == "en"  # Olivia Smith's case
    assert templates.suggested_language(make_case(), None, "zh") == "en"
    assert templates.suggested_language(make_case(customer=Customer()), None, "zh") == "zh"
