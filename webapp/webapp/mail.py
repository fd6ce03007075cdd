"""Flask-Mail, whose connection gives up after MAIL_TIMEOUT seconds, and whose messages keep to
SMTP's line length (chapter 10: the tasks' mail)."""
import smtplib
from email import charset
from email.mime.text import MIMEText

import flask_mail
from flask import current_app


class TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection, giving up after MAIL_TIMEOUT seconds: Flask-Mail's own waits forever
    on a server that accepts and never answers (a stuck worker, where a timeout is a retry)."""

    def configure_host(self):
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=current_app.config.get('MAIL_TIMEOUT', 60))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class Mail(flask_mail.Mail):
    """The book's Flask-Mail: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD and
    MAIL_DEFAULT_SENDER from the app's config; connections time out (above)."""

    def connect(self):
        return TimedConnection(current_app.extensions['mail'])


class Message(flask_mail.Message):
    """Flask-Mail's Message, its text and HTML parts quoted-printable. Flask-Mail sends UTF-8 text
    as it is (8bit), so a line longer than the 998 bytes SMTP allows (a long title in the digest, a
    reminder of one long line) goes out whole, and a strict mail server refuses the mail; quoted-
    printable wraps it in lines of 76 characters that the reader's mail program joins again."""

    def _mimetext(self, text, subtype='plain'):
        quoted_printable = charset.Charset(self.charset or 'utf-8')
        quoted_printable.body_encoding = charset.QP
        return MIMEText(text, _subtype=subtype, _charset=quoted_printable)
