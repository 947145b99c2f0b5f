"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the reminder tests.

    python smtp_capture.py MODE PORT CA_FILE

MODE: `starttls` (STARTTLS required before AUTH and MAIL) or `tls` (TLS from
the first byte). A throwaway CA (trustme) signs the server's certificate for
127.0.0.1; its PEM is written to CA_FILE for the client to trust. AUTH
accepts only diun / "p@ss word". Prints `ready` once listening, then one JSON
line per message received: sender, recipients, the user who signed in, the
message, and whether the session was encrypted. Stops when stdin closes.
"""

import json
import sys

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, ca_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]

ca = trustme.CA()
ca.cert_pem.write_to_path(ca_file)
server_cert = ca.issue_cert("127.0.0.1")


def ssl_context():
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(ctx)
    return ctx


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == b"diun" and auth_data.password == b"p@ss word":
        return AuthResult(success=True, auth_data=auth_data.login.decode())
    return AuthResult(success=False, handled=False)


class Capture:
    async def handle_DATA(self, server, session, envelope):
        # Set after STARTTLS; a socket wrapped from the start (mode tls) cannot speak anything but TLS.
        encrypted = session.ssl is not None
        print(
            json.dumps(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "login": session.auth_data,
                    "encrypted": encrypted,
                    "data": envelope.content.decode("utf-8", "replace"),
                }
            ),
            flush=True,
        )
        return "250 OK"


common = dict(hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True)
if mode == "starttls":
    controller = Controller(Capture(), tls_context=ssl_context(), require_starttls=True, **common)
else:
    # aiosmtpd does not count a socket wrapped from the start as TLS for
    # AUTH; it is, so AUTH is allowed without STARTTLS here.
    controller = Controller(Capture(), ssl_context=ssl_context(), auth_require_tls=False, **common)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
