"""Real mail and calendar servers on loopback for the sync tests: Dovecot (Debian's dovecot-imapd)
with a throw-away config, users and maildirs under a temp folder; a self-signed certificate for TLS."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

NOBODY = 65534  # Dovecot refuses to serve mail as root: the maildirs belong to nobody


def require(program: str, how: str) -> str:
    """The program's path; a clean skip on a developer machine without it, a failure in CI."""
    path = shutil.which(program) or next((p for p in (f"/usr/sbin/{program}",) if os.path.exists(p)), None)
    if path is None:
        message = f"{program} is not installed ({how}); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text(errors='replace') if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port} after {timeout} s")


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, made with openssl; the certificate is its own CA."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [require("openssl", "apt-get install openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


class Dovecot:
    """One Dovecot master process serving IMAP (and IMAPS when ``tls``) on free loopback ports."""

    def __init__(self, tls: bool = False):
        self.binary = require("dovecot", "apt-get install dovecot-imapd")
        # Not under pytest's 0700 temp folder: Dovecot's unprivileged processes must reach their sockets.
        self.root = Path(tempfile.mkdtemp(prefix="kith-dovecot-"))
        self.root.chmod(0o755)
        self.port, self.tls_port = free_port(), (free_port() if tls else 0)
        self.cert = self.key = None
        if tls:
            self.cert, self.key = self_signed_certificate(self.root)
        self.passwd = self.root / "passwd"
        self.passwd.write_text("")
        self.mail = self.root / "mail"
        self.mail.mkdir()
        self.uid = NOBODY if os.geteuid() == 0 else os.geteuid()
        if os.geteuid() == 0:
            os.chown(self.mail, NOBODY, NOBODY)
        self.config = self.root / "dovecot.conf"
        self.config.write_text(self._config())
        self.process: subprocess.Popen | None = None

    def _config(self) -> str:
        internal = ("dovecot", "dovenull") if os.geteuid() == 0 else (os.environ.get("USER", "nobody"),) * 2
        ssl = (f"ssl = yes\nssl_cert = <{self.cert}\nssl_key = <{self.key}\n" if self.cert else "ssl = no\n")
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal[0]}
default_login_user = {internal[1]}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{self.mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.uid} home={self.mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
"""

    def start(self) -> None:
        with (self.root / "stderr.log").open("ab") as log:
            self.process = subprocess.Popen([self.binary, "-F", "-c", str(self.config)], stdout=log, stderr=log,
                                            start_new_session=True)
        wait_for_port(self.port, self.process, self.root / "stderr.log")

    def stop(self) -> None:
        """Stops the master and every process it started (open IMAP sessions too), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self, name: str, password: str) -> None:
        with self.passwd.open("a") as f:
            f.write(f"{name}:{{PLAIN}}{password}\n")

    def client(self, user: str, password: str):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(user, password)
        return client


class Radicale:
    """One Radicale (PyPI) CalDAV server on a free loopback port, plain htpasswd users, storage in a temp folder."""

    def __init__(self, root: Path):
        try:
            import radicale  # noqa: F401
        except ImportError:
            message = "radicale is not installed (pip install -e '.[test]')"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.users = root / "users"
        self.users.write_text("")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def add_user(self, name: str, password: str) -> None:
        with self.users.open("a") as f:
            f.write(f"{name}:{password}\n")

    def start(self) -> None:
        with (self.root / "radicale.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", "", "--server-hosts", f"127.0.0.1:{self.port}",
                 "--storage-filesystem-folder", str(self.root / "collections"), "--auth-type", "htpasswd",
                 "--auth-htpasswd-filename", str(self.users), "--auth-htpasswd-encryption", "plain",
                 "--logging-level", "warning"],
                stdout=log, stderr=log, start_new_session=True)
        wait_for_port(self.port, self.process, self.root / "radicale.log")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        self.process = None
