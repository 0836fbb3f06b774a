"""Hook URLs (http/https only, never shopdesk's own API), filters and the backoff."""

from __future__ import annotations

import pytest

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.outbound import check_hook_url, parse_events, parse_only, retry_delay


def check(url: str) -> str:
    return check_hook_url(url, api_host="127.0.0.1", api_port=8765,
                          api_names=["127.0.0.1", "localhost", "desk.shop.example"])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8765/api/v1/cases", "http://localhost:8765/webhooks/shop",
    "http://[::1]:8765/x", "https://desk.shop.example:8765/x", "http://0.0.0.0:8765/",
])
def test_a_hook_pointing_at_shopdesks_own_api_is_refused(url):
    with pytest.raises(ValidationError) as error:
        check(url)
    assert error.value.field == "url" and "own API" in error.value.detail


@pytest.mark.parametrize("url", ["ftp://files.example/x", "file:///etc/passwd", "javascript:x",
                                 "http://", "https://user:pw@chat.example/x", "not a url",
                                 "http://h.example/a b", "http://h.example/x\r\nX-Evil: 1"])
def test_only_http_and_https_urls_to_a_host(url):
    with pytest.raises(ValidationError):
        check(url)


def test_other_ports_and_hosts_are_fine():
    assert check("http://127.0.0.1:9000/hook") == "http://127.0.0.1:9000/hook"
    assert check("https://oapi.dingtalk.com/robot/send?access_token=x")


def test_events_and_only_words():
    assert parse_events("") == [] and parse_events("all") == []
    assert parse_events("case.opened, remedy.approved") == ["case.opened", "remedy.approved"]
    assert parse_only("urgent,L3") == ["urgent", "L3"]
    with pytest.raises(ValidationError):
        parse_only("vip")


def test_backoff_grows_with_jitter_and_is_capped():
    assert 1.0 <= retry_delay(1, 0.0) <= retry_delay(1, 0.999) <= 2.0  # first retry within 2 s
    assert retry_delay(3, 0.999) == pytest.approx(8.0, rel=0.01)
    assert retry_delay(40, 0.999) <= 900.0
