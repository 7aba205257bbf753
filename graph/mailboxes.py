"""Mailboxes that belong to a function or a machine, not to a person (noreply@, support@, postmaster@).

Identity resolution (ingest) uses it when naming people; ranking (graph.expertise) never ranks them.
"""

from __future__ import annotations

_ROLE_LOCALS = frozenset(
    {
        "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
        "mailer-daemon", "mailerdaemon", "postmaster", "notification", "notifications",
        "notify", "bounce", "bounces", "daemon", "auto-reply", "autoreply", "auto-confirm",
        "newsletter", "news", "alerts", "alert", "updates", "info", "support", "help",
        "admin", "billing", "invoice", "invoices", "sales", "marketing", "hello", "contact",
        "office", "reception", "webmaster", "hostmaster", "abuse", "security", "privacy",
        "calendar", "calendar-notification", "jobs", "careers", "team", "feedback",
    }
)  # fmt: skip
_ROLE_PREFIXES = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "bounce",
                  "mailer-daemon", "notification", "auto-reply", "autoreply")  # fmt: skip


def is_role_or_noreply(address: str) -> bool:
    """True for mailboxes that belong to a function or a machine, not to a person."""
    local = address.rpartition("@")[0].lower().split("+", 1)[0]
    return local in _ROLE_LOCALS or local.startswith(_ROLE_PREFIXES)
