"""An SMTP server for tests (aiosmtpd): it takes mail only after AUTH with the given user and
password, and keeps each message as a file in a Maildir the test reads. It listens on 127.0.0.1
only, so AUTH over plain text is allowed. Stops when its standard input closes. With MODE
`starttls` it offers (and requires) STARTTLS, with `tls` it speaks TLS from the first byte, both
with the certificate CERT and its KEY.

    smtp_peer.py PORT USER PASSWORD MAILDIR [MODE CERT KEY]
"""
import os
import ssl
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, user, password, maildir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
mode = sys.argv[5] if len(sys.argv) > 5 else "none"
secured = {}
if mode in ("starttls", "tls"):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[6], sys.argv[7])
    secured = {"tls_context": context, "require_starttls": True} if mode == "starttls" else {"ssl_context": context}
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(maildir, sub), exist_ok=True)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    )
    # Not `handled`: the server then answers a failure with 535 itself.
    return AuthResult(success=ok, handled=False)


warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
controller = Controller(
    Mailbox(maildir),
    hostname="127.0.0.1",
    port=port,
    authenticator=authenticator,
    auth_required=True,
    auth_require_tls=False,
    **secured,
)
controller.start()
print("ready", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
