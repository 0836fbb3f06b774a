"""Customer emails through SMTP, against aiosmtpd as a local server: plain, and STARTTLS with a
self-signed certificate made here and a login; a refusal shows on the timeline with the server's
answer; without [smtp] an email contact stays logged only."""

from __future__ import annotations

import email
import email.policy
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from outbound_helpers import open_case, sending, wait_until

from shopdesk.config import Settings, SmtpSettings


class Inbox:
    def __init__(self, refuse: str | None = None) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 2.0.0 Ok: queued as TEST123"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def controller_for(handler, **options) -> Controller:
    """aiosmtpd's Controller on a free port (it checks its own port by connecting to it)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture
def smtp_server(inbox):
    controller = controller_for(inbox)
    yield controller
    controller.stop()


def smtp_settings(port: int, **options) -> Settings:
    return Settings(shop_name="Tea House", smtp=SmtpSettings(
        host="127.0.0.1", port=port, from_address="Tea House <service@tea.example>", **options))


async def sent_or_failed(services):
    return [m for m in await services.outbound.list() if m.status in ("sent", "failed")]


async def test_an_email_contact_with_a_template_is_sent_in_the_customers_language(
        services, smtp_server, inbox):
    services.settings.smtp = smtp_settings(smtp_server.port, security="none").smtp
    case = await open_case(services, name="王芳", email="wangfang@example.com")
    await services.cases.log_contact(services.actor("li.na"), case.ref, channel="email",
                                     summary="apologised by email", template="apology")
    [queued] = await services.outbound.list()
    assert (queued.channel, queued.target, queued.status) == ("email", "wangfang@example.com",
                                                              "pending")
    async with sending(services):
        [done] = await wait_until(lambda: sent_or_failed(services))
    assert done.status == "sent"
    [message] = inbox.messages
    assert message["To"] == "wangfang@example.com" and "致歉" in message["Subject"]
    body = message.get_content()
    assert "王芳" in body and "SO-1001" in body and "Tea House" in body
    assert message["Message-ID"] == f"<{done.message_id}@shopdesk>"  # stable: the outbox's id
    event = (await services.cases.detail(case.ref)).events[-1]
    assert event.type == "email_sent" and "queued as TEST123" in event.data["answer"]
    assert event.data["to"] == "wangfang@example.com"


async def test_a_refused_email_fails_with_the_servers_answer_on_the_timeline(services):
    refusing = Inbox(refuse="550 5.1.1 mailbox unavailable")
    controller = controller_for(refusing)
    try:
        services.settings.smtp = smtp_settings(controller.port, security="none").smtp
        case = await open_case(services, name="Wang Fang")
        await services.cases.log_contact(services.actor("li.na"), case.ref, channel="email",
                                         summary="told about the delay", template="delay_notice")
        async with sending(services):
            [done] = await wait_until(lambda: sent_or_failed(services))
    finally:
        controller.stop()
    assert done.status == "failed" and "550" in done.last_error
    event = (await services.cases.detail(case.ref)).events[-1]
    assert event.type == "email_failed" and "mailbox unavailable" in event.data["answer"]
    assert event.data["final"] is True


async def test_a_server_that_is_down_is_tried_again_and_the_timeline_says_so(services):
    services.settings.smtp = smtp_settings(9, security="none").smtp  # nothing listens on 9
    case = await open_case(services)
    await services.cases.log_contact(services.actor("li.na"), case.ref, channel="email",
                                     summary="apology", template="apology")
    async with sending(services):
        await wait_until(lambda: _attempts_at_least(services, 2))
    event = (await services.cases.detail(case.ref)).events[-1]
    assert event.type == "email_failed" and event.data["final"] is False


async def _attempts_at_least(services, count):
    return [m for m in await services.outbound.list() if m.attempts >= count]


async def test_without_smtp_an_email_contact_is_logged_only(services):
    case = await open_case(services)
    await services.cases.log_contact(services.actor("li.na"), case.ref, channel="email",
                                     summary="apology", template="apology")
    assert await services.outbound.list() == []
    assert (await services.cases.detail(case.ref)).events[-1].type == "contact"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


async def test_starttls_with_a_login_and_the_password_from_the_environment(
        services, inbox, certificate, monkeypatch, tmp_path):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[str, str]] = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret-pw")

    controller = controller_for(inbox, tls_context=context, require_starttls=True,
                                authenticator=authenticate, auth_required=True)
    monkeypatch.setenv("TEA_SMTP_PASSWORD", "s3cret-pw")
    try:
        services.settings.smtp = smtp_settings(
            controller.port, security="starttls", username="service@tea.example",
            password_env="TEA_SMTP_PASSWORD", ca_file=str(cert)).smtp
        case = await open_case(services, name="Wang Fang")
        await services.cases.log_contact(services.actor("li.na"), case.ref, channel="email",
                                         summary="refund", template="refund_notice")
        async with sending(services):
            [done] = await wait_until(lambda: sent_or_failed(services))
        assert done.status == "sent", done.last_error
        assert logins == [("service@tea.example", "s3cret-pw")]
        assert "Refund notice" in inbox.messages[0]["Subject"]

        # An untrusted certificate is refused (TLS verified), and the password never shows.
        services.settings.smtp = smtp_settings(
            controller.port, security="starttls", username="service@tea.example",
            password_env="TEA_SMTP_PASSWORD").smtp
        await services.cases.log_contact(services.actor("li.na"), case.ref, channel="email",
                                         summary="again", template="apology")
        async with sending(services):
            await wait_until(lambda: _tried(services))
        latest = (await services.outbound.list())[0]
        assert latest.status in ("pending", "failed") and "certificate" in latest.last_error.lower()
        assert "s3cret-pw" not in latest.last_error
    finally:
        controller.stop()


async def _tried(services):
    latest = (await services.outbound.list())[0]
    return latest.last_error != "" and latest.status != "sending"


def test_the_password_comes_from_a_file_or_the_environment_never_the_config(tmp_path,
                                                                            monkeypatch):
    from shopdesk.sending.smtp_mail import PasswordMissing, smtp_password

    secret = tmp_path / "smtp-password"
    secret.write_text("pw-from-file\n", encoding="utf-8")
    base = {"host": "h", "from_address": "s@t.example"}
    assert smtp_password(SmtpSettings(**base, password_file=str(secret))) == "pw-from-file"
    monkeypatch.setenv("SHOP_PW", "pw-from-env")
    assert smtp_password(SmtpSettings(**base, password_env="SHOP_PW")) == "pw-from-env"
    with pytest.raises(PasswordMissing, match="NOT_SET"):
        smtp_password(SmtpSettings(**base, password_env="NOT_SET"))
    with pytest.raises(PasswordMissing, match="missing"):
        smtp_password(SmtpSettings(**base, password_file=str(tmp_path / "missing")))
    with pytest.raises(Exception, match="password"):  # a password in the config is refused
        from shopdesk.config import load_settings

        config = tmp_path / "c.toml"
        config.write_text('[smtp]\nhost = "h"\nfrom_address = "a@b.c"\npassword = "x"\n')
        load_settings(config)
