"""`kith sync imap`: new mail from an IMAP server, through the same pipeline as file ingest.

Per folder the store keeps the UIDVALIDITY and the highest UID committed, so a run fetches only UIDs
above it (a STATUS per folder tells "nothing new" without selecting it). A changed UIDVALIDITY
re-scans the folder from the start; ids from Message-ID or content hash make that add no duplicates.
Mail deleted on the server stays in the graph: the contact happened. Privacy "metadata" fetches
headers only; the other modes need bodies (topics, signatures). A network error reconnects with
backoff and carries on after the last message handed to the pipeline; a failed login, a certificate
that is not trusted or a missing folder stops at once with what to do.
"""

from __future__ import annotations

import imaplib
import ssl
import time
from collections.abc import Callable, Iterator

from kith.graph.errors import KithError
from kith.graph.settings import Settings, SyncAccount
from kith.graph.store import Store
from kith.ingest.email.pipeline import EmailIngest
from kith.ingest.email.sources import RawMessage, ReadError
from kith.ingest.report import RunReport
from kith.ingest.sync.accounts import read_secret, tls_context
from kith.ingest.sync.state import SyncState, record_status

FETCH_BATCH = 500  # messages per FETCH command
_NETWORK_ERRORS = (OSError, imaplib.IMAP4.abort, EOFError)


class _Positions:
    """The pipeline's progress: the highest UID handled per folder, saved with each committed batch."""

    def __init__(self, state: SyncState):
        self.state = state
        self.folder_of: dict[str, str] = {}  # message source -> folder

    def seen(self, item: RawMessage | ReadError) -> None:
        folder = self.folder_of[item.source]
        validity, uid = _validity_uid(item)
        position = self.state.get(folder)
        if position.get("uidvalidity") != validity or uid > position.get("uid", 0):
            self.state.set(folder, {"uidvalidity": validity, "uid": uid})

    def save(self) -> None:
        self.state.save()


def _validity_uid(item: RawMessage | ReadError) -> tuple[int, int]:
    validity, uid = item.position.removeprefix("UIDVALIDITY ").split(" UID ")
    return int(validity), int(uid)


class ImapSync:
    """One run over one IMAP account; ``run`` returns the pipeline's report (kind "imap")."""

    def __init__(self, store: Store, settings: Settings, account: SyncAccount, *, retries: int = 5,
                 backoff_s: float = 1.0, workers: int | None = None, fetch_batch: int = FETCH_BATCH,
                 batch_size: int = 5000, on_progress: Callable[[int], None] | None = None):
        if not account.host.strip():
            raise KithError(f"account {account.name}: give the IMAP server's host.")
        self.store, self.settings, self.account = store, settings, account
        self.retries, self.backoff_s, self.fetch_batch = retries, backoff_s, fetch_batch
        self.secret = read_secret(account)
        self.state = SyncState(store, account.name)
        self.positions = _Positions(self.state)
        self.ingest = EmailIngest(store, settings, exclude_addresses=account.exclude_addresses,
                                  exclude_domains=account.exclude_domains, batch_size=batch_size,
                                  workers=workers, on_progress=on_progress)
        self.ingest.report.kind = "imap"
        self.client = None
        self.rescanned: list[str] = []  # folders whose UIDVALIDITY changed: read again from the start

    @property
    def where(self) -> str:
        return f"{self.account.host}:{self.port}"

    @property
    def port(self) -> int:
        return self.account.port or (993 if self.account.security == "tls" else 143)

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> RunReport:
        try:
            folders = self._retrying(self._folders)
            report = self.ingest.run_messages(self._messages(folders), self.positions)
            report.files = len(folders)
        except KithError as exc:
            record_status(self.store, self.account.name, "imap", ok=False, error=str(exc))
            raise
        finally:
            self._logout()
        record_status(self.store, self.account.name, "imap", ok=True, folders=len(folders),
                      fetched=report.records, ingested=report.ingested, errors=report.error_count,
                      rescanned=len(self.rescanned))
        return report

    def _messages(self, folders: list[str]) -> Iterator[RawMessage | ReadError]:
        for folder in folders:
            source = f"imap://{self.account.name}/{folder}"
            self.positions.folder_of[source] = folder
            after: tuple[int, int] | None = None  # (uidvalidity, uid) of the last message handed on
            attempt = 0
            while True:
                try:
                    self._connected()
                    for item in self._folder(folder, source, after):
                        after = _validity_uid(item)
                        self.ingest.report.records += isinstance(item, RawMessage)
                        yield item
                        attempt = 0
                    break
                except _NETWORK_ERRORS as exc:
                    attempt = self._lost(exc, attempt)

    def _folder(self, folder: str, source: str, after: tuple[int, int] | None) -> Iterator[RawMessage | ReadError]:
        client = self.client
        status = _checked(folder, lambda: client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT"]))
        validity = int(status[b"UIDVALIDITY"])
        saved = self.state.get(folder)
        if after and after[0] == validity:
            last = after[1]
        elif saved.get("uidvalidity") == validity:
            last = saved.get("uid", 0)
        else:
            if saved:
                self.rescanned.append(folder)
            self.state.set(folder, {"uidvalidity": validity, "uid": 0})
            last = 0
        if b"UIDNEXT" in status and int(status[b"UIDNEXT"]) <= last + 1:
            return  # nothing new
        client.select_folder(folder, readonly=True)
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        part = b"BODY.PEEK[]" if self.settings.privacy.keeps_content else b"BODY.PEEK[HEADER]"
        answer = part.replace(b".PEEK", b"")
        for start in range(0, len(uids), self.fetch_batch):
            chunk = uids[start : start + self.fetch_batch]
            fetched = client.fetch(chunk, [part])
            for uid in chunk:
                position = f"UIDVALIDITY {validity} UID {uid}"
                data = fetched.get(uid, {}).get(answer)
                if data:
                    yield RawMessage(source, position, bytes(data))
                elif uid in fetched:
                    yield ReadError(source, position, "the server sent no content for this message")
                # else: deleted since the search; nothing to read

    # -- the connection --------------------------------------------------------------------------
    def _folders(self) -> list[str]:
        client = self._connected()
        wanted = self.account.folders or ["INBOX", "\\Sent"]
        folders = []
        for name in wanted:
            if name.startswith("\\"):
                found = client.find_special_folder(name.encode())
                if found is None:
                    if self.account.folders:
                        raise KithError(f"account {self.account.name}: no folder on {self.where} is marked {name}.")
                    continue  # the default sent folder is optional
                name = found
            if name not in folders:
                folders.append(name)
        return folders

    def _connected(self):
        if self.client is not None:
            return self.client
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        account = self.account
        context = tls_context(account) if account.security != "none" else None
        try:
            client = IMAPClient(account.host, port=self.port, ssl=account.security == "tls", ssl_context=context,
                                timeout=30)
            if account.security == "starttls":
                client.starttls(context)
        except ssl.SSLCertVerificationError as exc:
            raise KithError(f"account {account.name}: the certificate of {self.where} is not trusted "
                            f"({exc.verify_message}); if it is your server's own, give its CA with --ca-file "
                            "(ca_file in the config).") from None
        try:
            if account.auth == "xoauth2":
                client.oauth2_login(account.user, self.secret)
            else:
                client.login(account.user, self.secret)
        except LoginError as exc:
            client.shutdown()
            raise KithError(f"account {account.name}: the server {self.where} refused the login of "
                            f"{account.user} ({_text(exc)}); check the {'token' if account.auth == 'xoauth2' else 'password'} "
                            f"in {account.password_env or account.password_file}.") from None
        self.client = client
        return client

    def _retrying(self, call):
        attempt = 0
        while True:
            try:
                return call()
            except _NETWORK_ERRORS as exc:
                attempt = self._lost(exc, attempt)

    def _lost(self, exc: BaseException, attempt: int) -> int:
        """After a network error: drop the connection and wait before the next try, or give up."""
        self._logout()
        if attempt >= self.retries:
            raise KithError(f"account {self.account.name}: {self.where} cannot be reached ({_text(exc)}) after "
                            f"{attempt + 1} tries; what was fetched is kept, run the sync again to resume.") from None
        time.sleep(self.backoff_s * 2**attempt)
        return attempt + 1

    def _logout(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.logout()
            except Exception:  # the connection is already gone
                pass


def _checked(folder: str, call):
    try:
        return call()
    except imaplib.IMAP4.error as exc:
        if isinstance(exc, imaplib.IMAP4.abort):
            raise
        raise KithError(f"the IMAP folder {folder!r} cannot be read ({_text(exc)}); check the folder names.") from None


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text or type(exc).__name__


def sync_imap(store: Store, settings: Settings, account: SyncAccount, **options) -> RunReport:
    """Fetch what is new in the account's folders into the graph; see ``ImapSync`` for the options."""
    return ImapSync(store, settings, account, **options).run()
