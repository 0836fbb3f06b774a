"""One email to a customer through the shop's SMTP server (`[smtp]` in the config).

The password comes from a file or an environment variable, never from the config file, and never
reaches a log or an error text. The Message-ID is the outbox's stable id, so a resend after a
crash is recognisably the same message. The server's answer ("250 2.0.0 Ok: queued as …") or its
refusal is what the case timeline shows; a 5xx refusal is final, anything else is tried again.
"""

from __future__ import annotations

import os
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopdesk.domain.outbound import Outcome

if TYPE_CHECKING:
    from shopdesk.config import SmtpSettings


class PasswordMissing(Exception):
    pass


def smtp_password(smtp: SmtpSettings) -> str | None:
    """The password from smtp.password_file or $smtp.password_env; None when neither is set."""
    if smtp.password_file:
        path = Path(smtp.password_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise PasswordMissing(
                f"smtp.password_file {path}: {error.strerror or error}") from error
        return lines[0].strip() if lines else ""
    if smtp.password_env:
        value = os.environ.get(smtp.password_env)
        if value is None:
            raise PasswordMissing(
                f"smtp.password_env: the environment variable {smtp.password_env} is not set")
        return value
    return None


def build_message(smtp: SmtpSettings, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.from_address
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{payload['message_id']}@shopdesk>"
    message.set_content(payload["body"])
    return message


async def send_email(smtp: SmtpSettings, payload: dict[str, Any]) -> Outcome:
    import aiosmtplib

    try:
        password = smtp_password(smtp)
    except PasswordMissing as error:
        return Outcome(ok=False, answer=str(error))
    context = ssl.create_default_context(cafile=smtp.ca_file or None)
    options: dict[str, Any] = {
        "hostname": smtp.host, "port": smtp.port, "timeout": smtp.timeout_seconds,
        "use_tls": smtp.security == "tls", "start_tls": smtp.security == "starttls",
        "tls_context": context,
    }
    if smtp.security == "none":
        options["start_tls"] = False
    if smtp.username:
        options["username"] = smtp.username
        options["password"] = password or ""
    try:
        _refused, answer = await aiosmtplib.send(build_message(smtp, payload), **options)
    except aiosmtplib.SMTPRecipientsRefused as error:
        refusal = "; ".join(f"{item.code} {item.message}" for item in error.recipients)
        return Outcome(ok=False, permanent=True, answer=f"refused: {refusal}"[:300])
    except aiosmtplib.SMTPResponseException as error:
        return Outcome(ok=False, permanent=500 <= error.code < 600,
                       answer=f"{error.code} {error.message}"[:300])
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        text = str(error) or type(error).__name__
        if password:
            text = text.replace(password, "***")
        return Outcome(ok=False, answer=f"{type(error).__name__}: {text}"[:300])
    return Outcome(ok=True, answer=str(answer)[:300])
