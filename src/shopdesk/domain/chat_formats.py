"""The bodies and signatures each hook format sends (pure): what one HTTP POST carries.

- `shopdesk`: the OutboundEvent as JSON, `Shopdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
  "t.body">` (the inbound generic webhook's scheme, intake/signatures.py) when the hook has a secret.
- `wecom` (企业微信群机器人): {"msgtype": "markdown", "markdown": {"content": …}}.
- `dingtalk` (钉钉自定义机器人): {"msgtype": "markdown", "markdown": {"title", "text"}}; with a
  secret ("加签"): `timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(key=secret,
  msg="timestamp\\nsecret"))) added to the URL's query.
- `feishu` (飞书自定义机器人): {"msg_type": "text", "content": {"text": …}}; with a secret
  (签名校验): "timestamp" (s) and "sign" = base64(HMAC-SHA256(key="timestamp\\nsecret", msg=""))
  in the body.
- `slack` (incoming webhook): {"text": …} in Slack's mrkdwn.

`chat_answer_error` reads a chat platform's answer: they say 200 with an error code in the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

import msgspec

from shopdesk.domain.intake.signatures import sign_generic
from shopdesk.domain.outbound import OutboundEvent

_encoder = msgspec.json.Encoder()

_TITLES: dict[str, dict[str, str]] = {
    "en": {
        "case.opened": "New case", "case.escalated": "Case escalated",
        "case.resolved": "Case resolved", "case.closed": "Case closed",
        "remedy.awaiting_approval": "Remedy awaits approval", "remedy.approved": "Remedy approved",
        "remedy.done": "Remedy done", "sla.breach_soon": "SLA due soon",
        "incident.declared": "Incident declared", "survey.requested": "Survey requested",
        "hook.test": "Test message",
    },
    "zh": {
        "case.opened": "新工单", "case.escalated": "工单已上报", "case.resolved": "工单已解决",
        "case.closed": "工单已关闭", "remedy.awaiting_approval": "补救方案待审批",
        "remedy.approved": "补救方案已批准", "remedy.done": "补救方案已完成",
        "sla.breach_soon": "时限即将到期", "incident.declared": "已宣布突发事件",
        "survey.requested": "已发出满意度调查", "hook.test": "测试消息",
    },
}
_WORDS = {
    "en": {"urgent": "URGENT", "level": "Level", "case": "Case", "incident": "Incident"},
    "zh": {"urgent": "加急", "level": "等级", "case": "工单", "incident": "事件"},
}


def title(event: OutboundEvent, lang: str) -> str:
    titles = _TITLES.get(lang, _TITLES["en"])
    return titles.get(event.type, event.type)


def _lines(event: OutboundEvent, lang: str) -> list[str]:
    words = _WORDS.get(lang, _WORDS["en"])
    lines = []
    if event.case is not None:
        case = event.case
        urgent = f" {words['urgent']}" if case.urgent else ""
        lines.append(f"{case.ref} · L{case.level}{urgent} · {case.title}")
    if event.incident is not None:
        incident = event.incident
        lines.append(f"{incident.ref} · L{incident.level} · {incident.title}")
    if event.summary:
        lines.append(event.summary)
    return lines


def text(event: OutboundEvent, lang: str) -> str:
    """Plain text: the title, then the case ref, level and title, then what happened."""
    return "\n".join([f"[{title(event, lang)}]", *_lines(event, lang)])


def markdown(event: OutboundEvent, lang: str) -> str:
    heading = f"### {title(event, lang)}"
    if event.case is not None and event.case.urgent:
        heading += f" · **{_WORDS.get(lang, _WORDS['en'])['urgent']}**"
    return "\n".join([heading, *(f"> {line}" for line in _lines(event, lang))])


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉加签: urlencode(base64(HMAC-SHA256 of "timestamp\\nsecret" keyed with secret))."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.digest(secret.encode(), message, hashlib.sha256)
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def feishu_sign(secret: str, timestamp: int) -> str:
    """飞书签名校验: base64(HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message)."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.digest(key, b"", hashlib.sha256)).decode("ascii")


def chat_body(format: str, event: OutboundEvent, lang: str) -> dict:
    """The JSON body a chat robot documents for a text/markdown message (no signature)."""
    if format == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown(event, lang)}}
    if format == "dingtalk":
        return {"msgtype": "markdown",
                "markdown": {"title": title(event, lang), "text": markdown(event, lang)}}
    if format == "feishu":
        return {"msg_type": "text", "content": {"text": text(event, lang)}}
    if format == "slack":
        return {"text": text(event, lang)}
    raise ValueError(f"not a chat format: {format}")


def request(format: str, url: str, secret: str, event: OutboundEvent, *, lang: str,
            now: float) -> tuple[str, dict[str, str], bytes]:
    """(url, headers, body) of the POST that delivers `event` in `format` at unix time `now`."""
    headers = {"Content-Type": "application/json", "User-Agent": "shopdesk-outbound"}
    if format == "shopdesk":
        body = _encoder.encode(event)
        headers["Shopdesk-Event"] = event.type
        headers["Shopdesk-Event-Id"] = event.id
        if secret:
            headers["Shopdesk-Signature"] = sign_generic(secret, body, int(now))
        return url, headers, body
    payload = chat_body(format, event, lang)
    if format == "dingtalk" and secret:
        timestamp_ms = int(now * 1000)
        joiner = "&" if "?" in url else "?"
        url = f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"
    if format == "feishu" and secret:
        timestamp = int(now)
        payload = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **payload}
    return url, headers, _encoder.encode(payload)


def chat_answer_error(format: str, body: bytes) -> str | None:
    """The error a chat platform put in a 200 answer (errcode / code not 0), else None."""
    if format not in ("wecom", "dingtalk", "feishu"):
        return None
    try:
        answer = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if not isinstance(answer, dict):
        return None
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code in (0, None):
        return None
    message = answer.get("errmsg", answer.get("msg", ""))
    return f"{format} answered error {code}: {message}"[:300]
