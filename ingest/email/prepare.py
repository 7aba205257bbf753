"""The worker side of the email ingest: raw bytes in, a small ``Mail`` record out.

A ``Mail`` holds only what the main process needs to resolve people and write the interaction,
already normalised (addresses, ids, thread keys), as plain tuples and strings: it is pickled back
from a worker for every message, and the main process is the ingest's bottleneck.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from kith.graph import ids
from kith.graph.model import Category
from kith.graph.settings import PrivacyMode
from kith.graph.text import document_text, index_text
from kith.ingest.email.classify import FORWARD_PREFIX, REPLY_PREFIX
from kith.ingest.email.fast import read_simple
from kith.ingest.email.parse import Address, Limits, MessageError, parse_message
from kith.ingest.email.sources import RawMessage
from kith.ingest.identity.addresses import normalize_address
from kith.ingest.identity.aliases import local_forms
from kith.ingest.identity.names import parse_name
from kith.ingest.signatures import read_signature
from kith.ingest.topics import kept_topics_and_terms


class Mail(NamedTuple):
    """One message as the main process needs it."""

    iid: str  # interaction id: from the Message-ID, else from the content hash
    message_id: str
    date: int | None
    sender_name: str  # display name of the first From address
    senders: tuple[str, ...]  # the From addresses that normalise, normalised
    to: tuple[tuple[str, str], ...]  # (display name, normalised address), unusable ones left out
    cc: tuple[tuple[str, str], ...]
    bcc: tuple[tuple[str, str], ...]
    subject: str  # kept in every privacy mode (a header)
    thread_key: str  # the subject without reply prefixes, folded ('' when none)
    is_reply: bool  # the subject starts with a reply prefix
    is_forward: bool  # the subject says it is a forward ("Fw:")
    parent_id: str  # from In-Reply-To / References ('' when neither)
    root_id: str  # the thread's first message, from References ('' when neither)
    category: str  # a Category value
    topics: list[str]
    body: str  # only in "full" privacy
    terms: str  # only in "topics" privacy: the body's content words, unordered
    signature: tuple[str, str, tuple[str, ...]] | None  # title, company, phones
    search_tokens: str  # index_text of what the store indexes (graph.model.Interaction.document)


@lru_cache(maxsize=4096)  # a thread's messages share a subject
def normalized_subject(subject: str) -> str:
    return " ".join(REPLY_PREFIX.sub("", subject).casefold().split())


@lru_cache(maxsize=4096)  # replies name the same parent and root ids
def _email_iid(message_id: str) -> str:
    return ids.interaction_id("email", message_id)


_normalized = lru_cache(maxsize=1 << 15)(normalize_address)  # correspondents recur in message after message


def _named(addresses: list[Address]) -> tuple[tuple[str, str], ...]:
    out = []
    for a in addresses:
        address = _normalized(a.address) if a.address else None
        if address:
            out.append((a.name, address))
    return tuple(out)


_NAME_LINE = re.compile(r"^[^\W\d_][\w.'-]*(?: [^\W\d_][\w.'-]*){1,3}$")


def signed_name(signature: str, address: str) -> str:
    """The sender's name from their signature, when the From header has none: one of its first
    lines, a short name whose spelling produces the address's local part (Vince Kaminski for
    vkaminski@)."""
    local = (normalize_address(address) or "").rpartition("@")[0]
    if not local:
        return ""
    for line in [" ".join(line.split()) for line in signature.splitlines() if line.strip()][:3]:
        if _NAME_LINE.match(line) and local.rstrip("0123456789") in local_forms(parse_name(line)):
            return line
    return ""


def prepare(data: bytes, privacy: PrivacyMode | str, limits: Limits = Limits()) -> Mail | str:
    """Parse one message into a ``Mail``, or the reason it is unusable. Never raises for bad input (an
    unknown privacy mode is a caller's bug, refused)."""
    privacy = privacy if type(privacy) is PrivacyMode else PrivacyMode(privacy)
    try:
        msg = read_simple(data, limits) or parse_message(RawMessage("", "", data), limits).essentials()
    except MessageError as exc:
        return exc.reason
    except Exception as exc:  # a parser bug must not stop a batch: the caller reports where it was
        return f"unexpected {type(exc).__name__}: {exc}"
    topics: list[str] = []
    terms = ""
    signature = None
    sender_name = msg.from_[0].name if msg.from_ else ""
    if msg.category == Category.PERSONAL:
        topics, terms = kept_topics_and_terms(privacy, msg.subject, msg.body)
        if msg.signature:
            sender_name = sender_name or signed_name(msg.signature, msg.from_[0].address if msg.from_ else "")
            facts = read_signature(msg.signature, sender_name)
            signature = (facts.title, facts.company, facts.phones)
    subject = msg.subject  # a header: kept in every privacy mode
    body = msg.body if privacy.keeps_body else ""
    parent_mid = msg.in_reply_to or (msg.references[-1] if msg.references else "")
    root_mid = msg.references[0] if msg.references else parent_mid
    return Mail(
        iid=_email_iid(msg.message_id or f"sha256:{msg.content_hash}"),
        message_id=msg.message_id,
        date=msg.date,
        sender_name=sender_name,
        senders=tuple(n for n in (_normalized(a.address) for a in msg.from_ if a.address) if n),
        to=_named(msg.to),
        cc=_named(msg.cc),
        bcc=_named(msg.bcc),
        subject=subject,
        thread_key=normalized_subject(msg.subject),
        is_reply=bool(REPLY_PREFIX.match(msg.subject)),
        is_forward=bool(FORWARD_PREFIX.match(msg.subject)),
        parent_id=_email_iid(parent_mid) if parent_mid else "",
        root_id=_email_iid(root_mid) if parent_mid else "",
        category=msg.category.value,
        topics=topics,
        body=body,
        terms=terms,
        signature=signature,
        search_tokens=index_text(document_text(subject, topics, body, terms)),  # here, in a parser worker
    )
