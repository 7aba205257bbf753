"""`kith sync caldav`: calendars from a CalDAV server, through the same reading and writing as .ics ingest.

Per calendar the store keeps the collection's sync-token and, per calendar object, its ETag and the ids
of the interactions it made. A calendar whose sync-token has not moved is passed over; otherwise one
PROPFIND lists every object's ETag and only new or changed objects are fetched. A changed object's
old interactions are removed before its new ones are written (a moved meeting keeps its id but not
its time; a cancelled one makes none), as are those of an object deleted on the server; the KNOWS
edges of everyone they touched are then recomputed from what remains.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from kith.graph.errors import KithError
from kith.graph.identity import recompute_knows
from kith.graph.settings import Settings, SyncAccount
from kith.graph.store import Store
from kith.ingest.calendar import CalendarIngest, Occurrence, read_calendar
from kith.ingest.report import RunReport
from kith.ingest.sync.accounts import read_secret
from kith.ingest.sync.state import SyncState, record_status

_ETAG = "{DAV:}getetag"


class CaldavSync:
    """One run over one CalDAV account; ``run`` returns the calendar ingest's report (kind "caldav")."""

    def __init__(self, store: Store, settings: Settings, account: SyncAccount, *, now: datetime | None = None,
                 retries: int = 3, backoff_s: float = 1.0, on_progress: Callable[[int], None] | None = None):
        if not account.url.strip():
            raise KithError(f"account {account.name}: give the CalDAV server's url.")
        self.store, self.account = store, account
        self.retries, self.backoff_s = retries, backoff_s
        self.secret = read_secret(account)
        self.state = SyncState(store, account.name)
        self.ingest = CalendarIngest(store, settings, now=now, exclude_addresses=account.exclude_addresses,
                                     exclude_domains=account.exclude_domains, on_progress=on_progress)
        self.ingest.report.kind = "caldav"
        self.on_progress = on_progress or (lambda n: None)
        self.removed = 0  # interactions removed: of changed, cancelled or deleted events

    def run(self) -> RunReport:
        report = self.ingest.report
        try:
            for calendar in self._retrying(self._calendars):
                report.files += 1
                self._retrying(lambda: self._calendar(calendar))
        except KithError as exc:
            record_status(self.store, self.account.name, "caldav", ok=False, error=str(exc))
            raise
        record_status(self.store, self.account.name, "caldav", ok=True, calendars=report.files,
                      fetched=report.records, ingested=report.ingested, removed=self.removed,
                      errors=report.error_count)
        return report

    # -- one calendar ----------------------------------------------------------------------------
    def _calendar(self, calendar) -> None:
        from caldav.elements import dav

        key = str(calendar.url)
        saved = self.state.get(key)
        token = calendar.get_property(dav.SyncToken())
        if token and saved.get("token") == token:
            return  # nothing changed since the last run
        own = urlsplit(key).path.rstrip("/")
        listing = calendar.get_properties([dav.GetEtag()], depth=1, parse_response_xml=False)
        etags = {str(href): props.get(_ETAG) for href, props in listing.expand_simple_props([dav.GetEtag()]).items()
                 if urlsplit(str(href)).path.rstrip("/") != own}
        objects: dict[str, list] = dict(saved.get("objects", {}))
        doomed: list[str] = []
        for href in objects.keys() - etags.keys():  # deleted on the server
            doomed += objects.pop(href)[1]
        fetched: dict[str, list[Occurrence]] = {}
        for href, etag in sorted(etags.items()):
            if etag and objects.get(href, [None])[0] == etag:
                continue
            data = calendar.event_by_url(href).load().data
            data = data.encode() if isinstance(data, str) else data
            self.on_progress(len(data))
            fetched[href] = [o for s in read_calendar(href, self.ingest.window, data=data) for o in self.ingest.count(s)]
            doomed += objects.get(href, [None, []])[1]  # a changed event: its old occurrences go first
        if doomed:
            self.removed += len(doomed)
            recompute_knows(self.store, self.store.remove_interactions(doomed))
        for href, occurrences in fetched.items():
            objects[href] = [etags[href], self.ingest.write(occurrences) if occurrences else []]
        self.state.set(key, {"token": token, "objects": objects})
        self.state.save()

    # -- the connection --------------------------------------------------------------------------
    def _calendars(self) -> list:
        import caldav
        from caldav.lib.error import AuthorizationError

        account = self.account
        client = caldav.DAVClient(url=account.url, username=account.user, password=self.secret, timeout=30,
                                  ssl_verify_cert=str(account.ca_file) if account.ca_file else True)
        try:
            calendars = client.principal().calendars()
        except AuthorizationError:
            raise KithError(f"account {account.name}: {account.url} refused the login of {account.user}; check "
                            f"the password in {account.password_env or account.password_file}.") from None
        if not account.calendars:
            return calendars
        named = {c.get_display_name(): c for c in calendars}
        missing = [n for n in account.calendars if n not in named]
        if missing:
            raise KithError(f"account {account.name}: no calendar named {', '.join(missing)} "
                            f"(found: {', '.join(sorted(map(str, named))) or 'none'}).")
        return [named[n] for n in account.calendars]

    def _retrying(self, call):
        from caldav.lib.error import DAVError

        attempt = 0
        while True:
            try:
                return call()
            except DAVError as exc:
                raise KithError(f"account {self.account.name}: the CalDAV server answered {exc}.") from None
            except OSError as exc:  # connection refused or reset, timeouts (the HTTP client's errors are OSErrors)
                if attempt >= self.retries:
                    raise KithError(f"account {self.account.name}: {self.account.url} cannot be reached ({exc}); "
                                    "what was synced is kept, run the sync again to resume.") from None
                time.sleep(self.backoff_s * 2**attempt)
                attempt += 1


def sync_caldav(store: Store, settings: Settings, account: SyncAccount, **options) -> RunReport:
    """Bring the account's calendars up to date in the graph; see ``CaldavSync`` for the options."""
    return CaldavSync(store, settings, account, **options).run()
