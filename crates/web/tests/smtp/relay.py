"""A real SMTP server on loopback for the mailer's tests (aiosmtpd).

Prints "PORT <n>" once listening on 127.0.0.1, then writes each message it
accepts into --maildir as <n>.json: the envelope, whether the client
authenticated, the headers and the decoded text. Options:
  --auth USER:PASSWORD  require authentication with these credentials
  --stall ADDRESS       accept the connection, then never answer RCPT TO
                        for this address (a relay that stalls)
  --refuse ADDRESS      answer RCPT TO for this address with 550
  --tls DIR             offer STARTTLS (required) with a certificate for
                        "localhost" signed by a CA written to DIR/ca.pem
Stops when its standard input closes.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import subprocess
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def certificate(directory):
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    p = lambda name: os.path.join(directory, name)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.pem"),
            "-days", "2", "-subj", "/CN=Passerelle test CA")
    openssl("req", "-new", *ec, "-keyout", p("key.pem"), "-out", p("leaf.csr"),
            "-subj", "/CN=localhost")
    with open(p("ext.cnf"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", p("leaf.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p("cert.pem"), "-days", "2", "-extfile", p("ext.cnf"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(p("cert.pem"), p("key.pem"))
    return context


class Handler:
    def __init__(self, maildir, stall, refuse):
        self.maildir, self.stall, self.refuse, self.count = maildir, stall, refuse, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.stall:
            await asyncio.sleep(3600)
        if address == self.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(session.authenticated),
            "tls": session.ssl is not None,
            "headers": {k: str(v) for k, v in message.items()},
            "text": message.get_content(),
        }
        path = os.path.join(self.maildir, f"{self.count}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--auth")
    parser.add_argument("--stall")
    parser.add_argument("--refuse")
    parser.add_argument("--tls")
    args = parser.parse_args()
    handler = Handler(args.maildir, args.stall, args.refuse)
    options = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == user \
                and data.password.decode() == password
            return AuthResult(success=ok)

        options.update(authenticator=authenticator, auth_required=True,
                       auth_require_tls=bool(args.tls))
    if args.tls:
        options.update(tls_context=certificate(args.tls), require_starttls=True)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="localhost", **options), "127.0.0.1", 0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    # Until the test closes our standard input.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


asyncio.run(main())
