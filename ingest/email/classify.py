"""Tell the mail that is not a relationship (bounces, auto-replies, lists, bulk, no-reply senders)
from personal mail, from headers alone. The first rule that fires wins; bounces are checked first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from email.message import Message
from functools import lru_cache

from kith.graph.model import Category
from kith.ingest.email.address import Address
from kith.ingest.email.mime import content_type

_BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|post_master|mail\.?delivery"
    r"|maildelivery|mdaemon|mail-delivery-system|bounces?|double-bounce|nobody-bounce)$"
)
_BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered mail|returned mail|return(ed)? to sender|delivery status notif"
    r"|delivery (has )?fail|delivery notification|delivery problem|failure notice|failed delivery"
    r"|mail delivery failed|mail delivery (subsystem|system)|could not be delivered"
    r"|not (be )?delivered|non[- ]?delivery|message not delivered|delivery report"
    r"|nondeliverable|mail system error|unzustellbar|nicht zustellbar|non remis"
    r"|no se puede entregar|email bounce|bounced mail|mail could not|rejected:|mail failure"
    r"|warning: could not send|delayed mail|delivery delay|message delayed"
    r"|complaint about message from|abuse report"
    r"|配信(エラー|不能|失敗)|エラーメール|メールエラー|送信エラー|未送達|退信|投递失败",
    re.IGNORECASE,
)
# The same, case-sensitive, for lower-cased text: ten times faster than an IGNORECASE search. The
# two agree except on the only non-ASCII letters IGNORECASE matches to ASCII ones (İ ı ſ K).
_BOUNCE_SUBJECTS_LOWER = re.compile(_BOUNCE_SUBJECTS.pattern)
_CASE_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
# Robot addresses of list servers (Mailman, Majordomo, fml): owner-x, x-owner, x-request...
_LIST_MANAGER_SENDERS = re.compile(r"^(owner-.+|.+-(owner|request|bounces|admin))$")
# Reply and forward prefixes, repeated ("Re: AW: Fwd[2]: ..."), in the languages mail clients write.
REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|rif|tr|回复|答复|转发|返信)\s*(?:\[\d+\])?\s*[:：]\s*)+",
                          re.IGNORECASE)
# A forward: a reply-or-forward prefix chain that holds a forward prefix ("Fw:", "Re: WG:", "TR:").
FORWARD_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|rif|回复|答复|返信)\s*(?:\[\d+\])?\s*[:：]\s*)*"
                            r"(?:fw|fwd|wg|tr|转发)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE)
_AUTO_REPLY_SUBJECTS = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?re(ply|sponse)|autoreply"
    r"|abwesenheitsnotiz|abwesend|automatische antwort|réponse automatique"
    r"|respuesta automática|fuera de la oficina|risposta automatica|fuori sede"
    r"|automatisch antwoord|afwezig|automatiskt svar|autosvar|自動応答)",
    re.IGNORECASE,
)
_NO_REPLY_SENDERS = re.compile(
    r"(^|[._+-])(no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|notifications?|notify"
    r"|alerts?|automailer|auto-confirm)($|[._+-])"
)
_ESP_HEADER_PREFIXES = (
    "x-mailgun", "x-ses-", "x-campaign", "feedback-id", "x-sg-eid", "x-sg-id", "x-mc-user",
    "x-mandrill", "x-mailchimp", "x-msfbl", "x-csa-complaints", "x-marketoid", "x-sfmc-",
    "x-emarsys", "x-rpcampaign", "x-job", "x-mailjet", "x-sib-", "x-ems-",
)


class _Indexed:
    """A message with its headers looked up in the parse's index (Message.get scans a list)."""

    def __init__(self, msg: Message, headers: Mapping[str, list[str]]) -> None:
        self.message = msg
        self._headers = headers  # lower-case name -> its values, unfolded, raw 8-bit bytes decoded
        self.get = {name: values[0] for name, values in headers.items()}.get  # the rules ask ~20 times
        self._content_type = content_type(msg)
        self._sender_locals: tuple[str, ...] | None = None

    def sender_local_parts(self) -> tuple[str, ...]:
        """Local parts of From/Sender, read loosely (bounce senders are often odd); read once, asked twice."""
        if self._sender_locals is None:
            self._sender_locals = _local_parts(_senders_text(self.get("from"), self.get("sender")))
        return self._sender_locals

    def keys(self) -> list[str]:
        return list(self._headers)

    def get_content_type(self) -> str:
        return self._content_type

    def __getattr__(self, name: str):  # everything else as the message has it
        return getattr(self.message, name)


def classify(msg: Message, headers: Mapping[str, list[str]], from_: list[Address], subject: str
             ) -> tuple[Category, str]:
    """The category of a message and a short human reason for it; ``headers`` maps each lower-case
    header name to its values, as parse reads them."""
    if not msg.is_multipart():
        quick = quick_category(headers, content_type(msg), subject, from_, lambda: _notification_text(msg))
        if quick is not None:
            return quick
    msg = _Indexed(msg, headers)
    for category, rule in _RULES:
        reason = rule(msg, subject)
        if reason:
            return category, reason
    return _sender_category(from_)


def _sender_category(from_: list[Address]) -> tuple[Category, str]:
    """The last test, when no rule fired: a no-reply sender, else personal mail."""
    for addr in from_:
        if _NO_REPLY_SENDERS.search(addr.address.rpartition("@")[0].lower()):
            return Category.NO_REPLY, f"sender {addr.address}"
    return Category.PERSONAL, "no automated-mail markers"


# Headers whose presence lets a rule fire (or makes it read their value); with none of them, and with
# an ordinary content type, subject and sender, only the body's SES notification test is left.
_MARKER_HEADERS = frozenset((
    "x-failed-recipients", "auto-submitted", "x-autoreply", "x-autorespond", "x-autoresponder",
    "x-autogenerated", "precedence", "list-id", "list-post", "mailing-list", "x-ml-name", "x-mlserver",
    "list-unsubscribe",
))
_REPORT_TYPES = frozenset(("multipart/report", "message/delivery-status", "message/global-delivery-status"))


def quick_category(headers: Mapping[str, list[str]], ctype: str, subject: str, from_: list[Address],
                   notification: Callable[[], str]) -> tuple[Category, str] | None:
    """``classify``'s answer for a single-part message when a cheap test proves no header rule can fire
    (most personal mail), else None: then the rules must run. ``notification`` gives what
    ``_notification_text`` would."""
    if ctype in _REPORT_TYPES or not _MARKER_HEADERS.isdisjoint(headers):
        return None
    if any(name.startswith(_ESP_HEADER_PREFIXES) for name in headers):
        return None
    return_path = headers.get("return-path")
    if return_path and "".join(return_path[0].split()) == "<>":
        return None
    froms, senders = headers.get("from"), headers.get("sender")
    if not _ordinary_subject(subject) or _robot_sender(
            _senders_text(froms[0] if froms else None, senders[0] if senders else None)):
        return None
    text = notification()
    ses = _SES_NOTIFICATION.search(text) if "notificationType" in text else None
    if ses:
        return Category.BOUNCE, f"Amazon SES {ses.group(1).lower()} notification"
    return _sender_category(from_)


@lru_cache(maxsize=4096)
def _ordinary_subject(subject: str) -> bool:
    """Neither a bounce's nor an auto-reply's subject (nor one a reply prefix excuses: the rules decide)."""
    return not _bounce_subject(subject) and not _AUTO_REPLY_SUBJECTS.match(subject)


@lru_cache(maxsize=4096)
def _robot_sender(senders: str) -> bool:
    """A From/Sender local part that the bounce or list-manager rule matches."""
    return any(_BOUNCE_SENDERS.match(local) or _LIST_MANAGER_SENDERS.match(local) for local in _local_parts(senders))


def _senders_text(from_: str | None, sender: str | None) -> str:
    """The first From and Sender values as the sender rules read them, lower-case."""
    return f"{_squeezed(from_)} {_squeezed(sender)}".lower()


def _header(msg: Message, name: str) -> str:
    return _squeezed(msg.get(name))


def _squeezed(value: object) -> str:
    return " ".join(str(value).split()) if value else ""  # most messages lack most of the headers read


def _report_type(msg: Message) -> str:
    try:
        return str(msg.get_param("report-type") or "").strip().lower()
    except (ValueError, LookupError):
        return ""


def _part_types(msg: Message) -> set[str]:
    if not msg.is_multipart():  # the usual case: walk() would give the message alone
        return {msg.get_content_type()}
    try:
        return {content_type(part) for part in msg.walk()}
    except RecursionError:
        return set()


_AT_LOCAL = re.compile(r"([\w.+-]+)@")
_BARE_LOCAL = re.compile(r"^\s*\"?([\w.-]+)\"?\s*$")


@lru_cache(maxsize=4096)  # a mailbox has few distinct senders
def _local_parts(text: str) -> tuple[str, ...]:
    return (*_AT_LOCAL.findall(text), *_BARE_LOCAL.findall(text))


# Those get_payload(decode=True) decodes; under any other, it gives the payload's own characters back as bytes.
_TRANSFER_ENCODINGS = {"quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"}
_SES_NOTIFICATION = re.compile(r'\\?"notificationType\\?"\s*:\s*\\?"(Bounce|Complaint|Delivery)\\?"')


def _notification_text(msg: Message) -> str:
    """The first part's text, raw, when it may hold a machine-written JSON notification; else ''."""
    part = next(msg.walk(), msg) if msg.is_multipart() else msg
    while part.is_multipart():
        payload = part.get_payload()
        if not payload:
            return ""
        part = payload[0]
    return notification_text(part._payload, str(part.get("content-transfer-encoding", "")),
                             lambda: part.get_payload(decode=True))


def notification_text(payload: object, transfer_encoding: str, decoded: Callable[[], object]) -> str:
    """``_notification_text`` of a leaf part: its raw payload, Content-Transfer-Encoding as ``get``
    gives it, and its ``get_payload(decode=True)``, asked only when needed."""
    if isinstance(payload, str) and "notificationType" not in payload and (
        transfer_encoding.lower() not in _TRANSFER_ENCODINGS):
        return ""  # the bytes get_payload(decode=True) would give hold none: not worth decoding
    text = decoded() or b""
    return text[:4096].decode("utf-8", "replace") if isinstance(text, bytes) else ""


@lru_cache(maxsize=4096)  # a thread's messages share a subject
def _bounce_subject(subject: str) -> bool:
    """``_BOUNCE_SUBJECTS.search(subject)``, quickly."""
    if _CASE_FOLDS_TO_ASCII.search(subject):
        return _BOUNCE_SUBJECTS.search(subject) is not None
    return _BOUNCE_SUBJECTS_LOWER.search(subject.lower()) is not None


def _bounce(msg: _Indexed, subject: str) -> str:
    ctype = msg.get_content_type()
    report = _report_type(msg) if ctype == "multipart/report" else ""
    if ctype == "multipart/report" and report in ("delivery-status", "global-delivery-status"):
        return f"Content-Type multipart/report; report-type={report}"
    if ctype == "multipart/report" and report == "feedback-report":
        return "Content-Type multipart/report; report-type=feedback-report (abuse report)"
    if msg.get("x-failed-recipients") is not None:
        return "X-Failed-Recipients header"
    for local in msg.sender_local_parts():
        if _BOUNCE_SENDERS.match(local):
            return f"sender {local}"
    if _bounce_subject(subject) and not REPLY_PREFIX.match(subject):
        return f"Subject {subject[:60]!r}"
    text = _notification_text(msg.message)  # the message's own methods: quicker than through __getattr__
    ses = _SES_NOTIFICATION.search(text) if "notificationType" in text else None
    if ses:
        return f"Amazon SES {ses.group(1).lower()} notification"
    if {"message/delivery-status", "message/global-delivery-status"} & _part_types(msg):
        return "message/delivery-status part"
    # A null reverse-path is reserved for notifications: DSNs, read receipts, auto-replies.
    if _header(msg, "return-path").replace(" ", "") == "<>" and not _auto_reply(msg, subject):
        return "null Return-Path <> (delivery notification)"
    return ""


def _auto_reply(msg: Message, subject: str) -> str:
    auto = _header(msg, "auto-submitted").lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    if msg.get_content_type() == "multipart/report" and _report_type(msg) == (
        "disposition-notification"
    ):
        return "Content-Type multipart/report; report-type=disposition-notification (read receipt)"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        if msg.get(name) is not None:
            return f"{name} header"
    precedence = _header(msg, "precedence").lower()
    if precedence in ("auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    if _AUTO_REPLY_SUBJECTS.match(subject):
        return f"Subject {subject[:60]!r}"
    return ""


def _mailing_list(msg: _Indexed, subject: str) -> str:
    for name in ("list-id", "list-post", "mailing-list", "x-ml-name", "x-mlserver"):
        if msg.get(name) is not None:
            return f"{name.title()}: {_header(msg, name)[:80]}"
    if _header(msg, "precedence").lower() == "list":
        return "Precedence: list"
    for local in msg.sender_local_parts():
        if _LIST_MANAGER_SENDERS.match(local):
            return f"list-manager sender {local}"
    return ""


def _bulk(msg: Message, subject: str) -> str:
    precedence = _header(msg, "precedence").lower()
    if precedence in ("bulk", "junk"):
        return f"Precedence: {precedence}"
    for name in msg.keys():  # lower-case already
        if name.startswith(_ESP_HEADER_PREFIXES):
            return f"bulk-mail service header {name}"
    if msg.get("list-unsubscribe") is not None and msg.get("list-unsubscribe-post") is not None:
        return "List-Unsubscribe with one-click List-Unsubscribe-Post"
    return ""


_RULES = (
    (Category.BOUNCE, _bounce),
    (Category.AUTO_REPLY, _auto_reply),
    (Category.MAILING_LIST, _mailing_list),
    (Category.BULK, _bulk),
)
