"""Each hook format's body against its platform's documented example (the same keys and shapes),
and the signatures as each platform's documentation computes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import UTC, datetime

import msgspec
import pytest

from shopdesk.domain import chat_formats
from shopdesk.domain.intake.signatures import verify_generic
from shopdesk.domain.outbound import EventCase, OutboundEvent

EVENT = OutboundEvent(
    id="abc-ev12", type="case.escalated", occurred_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
    shop="Tea House", summary="C-000012 escalated to supervisor: SLA breached",
    case=EventCase(ref="C-000012", kind="delivery_delayed", level=3, urgent=True,
                   status="escalated", tier="supervisor", title="Parcel stuck in Wuhan"),
)

# The documented examples (WeCom 群机器人配置说明, DingTalk 自定义机器人发送群消息, Feishu 自定义机器人
# 使用指南, Slack "Sending messages using incoming webhooks").
WECOM_MARKDOWN = {"msgtype": "markdown", "markdown": {"content": "实时新增用户反馈"}}
DINGTALK_MARKDOWN = {"msgtype": "markdown",
                     "markdown": {"title": "杭州天气", "text": "#### 杭州天气 \n> 9度"}}
FEISHU_TEXT = {"msg_type": "text", "content": {"text": "request example"}}
FEISHU_SIGNED = {"timestamp": "1599360473", "sign": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                 "msg_type": "text", "content": {"text": "request example"}}
SLACK_TEXT = {"text": "Hello, world."}


def shape(value):
    """A JSON value's shape: the keys of objects, the types of leaves."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


@pytest.mark.parametrize("format,documented", [
    ("wecom", WECOM_MARKDOWN), ("dingtalk", DINGTALK_MARKDOWN), ("feishu", FEISHU_TEXT),
    ("slack", SLACK_TEXT),
])
def test_each_chat_body_has_the_documented_shape(format, documented):
    _url, headers, body = chat_formats.request(format, "https://chat.example/hook", "", EVENT,
                                               lang="en", now=1_700_000_000)
    sent = msgspec.json.decode(body)
    assert shape(sent) == shape(documented)
    assert headers["Content-Type"] == "application/json"
    text = msgspec.json.encode(sent).decode()
    for what in ("C-000012", "L3", "Parcel stuck in Wuhan", "SLA breached", "Case escalated"):
        assert what in text  # the case ref, level, title and what happened


def test_chat_text_in_chinese_names_the_event_in_chinese():
    _url, _headers, body = chat_formats.request("wecom", "https://x/", "", EVENT, lang="zh",
                                                now=0)
    content = msgspec.json.decode(body)["markdown"]["content"]
    assert "工单已上报" in content and "加急" in content


def test_dingtalk_sign_is_the_documented_computation():
    secret = "SEC000000000000000000000000000000000000000000000000000000000000000"
    timestamp = 1_577_262_236_757
    # DingTalk's Python sample, step by step.
    string_to_sign = f"{timestamp}\n{secret}"
    hmac_code = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"),
                         digestmod=hashlib.sha256).digest()
    expected = urllib.parse.quote_plus(base64.b64encode(hmac_code))
    assert chat_formats.dingtalk_sign(secret, timestamp) == expected
    url, _headers, _body = chat_formats.request(
        "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=XXXX", secret, EVENT,
        lang="en", now=timestamp / 1000)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["access_token"] == ["XXXX"] and query["timestamp"] == [str(timestamp)]
    assert query["sign"] == [base64.b64encode(hmac_code).decode()]  # urlencoded once, decoded here


def test_feishu_sign_is_the_documented_computation():
    secret = "feishu-secret"
    _url, _headers, body = chat_formats.request("feishu", "https://open.feishu.cn/x", secret,
                                                EVENT, lang="en", now=1599360473)
    sent = msgspec.json.decode(body)
    assert shape(sent) == shape(FEISHU_SIGNED)
    key = f"{1599360473}\n{secret}".encode("utf-8")  # Feishu's sample: the key is "t\nsecret"
    expected = base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode()
    assert sent["timestamp"] == "1599360473" and sent["sign"] == expected


def test_the_shopdesk_format_is_the_event_signed_like_inbound_webhooks():
    _url, headers, body = chat_formats.request("shopdesk", "https://plugin.example/hook",
                                               "whsec_x", EVENT, lang="en", now=1_700_000_000)
    assert msgspec.json.decode(body, type=OutboundEvent) == EVENT
    assert headers["Shopdesk-Event-Id"] == "abc-ev12"
    verify_generic(headers["Shopdesk-Signature"], body, ["whsec_x"], now=1_700_000_000)
    _url, unsigned, _body = chat_formats.request("shopdesk", "https://p/", "", EVENT, lang="en",
                                                 now=0)
    assert "Shopdesk-Signature" not in unsigned


def test_a_chat_platforms_error_in_a_200_answer_is_a_failure():
    assert chat_formats.chat_answer_error("dingtalk", b'{"errcode":310000,"errmsg":"sign not match"}')
    assert chat_formats.chat_answer_error("feishu", b'{"code":19021,"msg":"sign match fail"}')
    assert chat_formats.chat_answer_error("wecom", b'{"errcode":0,"errmsg":"ok"}') is None
    assert chat_formats.chat_answer_error("slack", b"ok") is None
