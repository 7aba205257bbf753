"""The new text of a message: quoted replies and forwarded blocks cut off, the signature split off.

Heuristic by nature; each rule below is one pattern mail clients really write.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

# A line that starts the quoted or forwarded part: everything from it on is someone else's text.
_QUOTE_START = [
    re.compile(p, re.IGNORECASE)
    for p in (
        # Outlook, Thunderbird, Gmail and localized separators
        r"^\s*-{2,}\s*(original message|forwarded message|ursprüngliche nachricht"
        r"|weitergeleitete nachricht|message d'origine|message transféré|mensaje original"
        r"|mensaje reenviado|messaggio originale|messaggio inoltrato|oorspronkelijk bericht"
        r"|doorgestuurd bericht|originalmeddelande|oprindelig meddelelse|opprinnelig melding"
        r"|wiadomość oryginalna|исходное сообщение|пересылаемое сообщение|原始邮件|転送メッセージ"
        r"|원본 메시지)\s*-{2,}\s*$",
        r"^\s*(begin forwarded message|anfang der weitergeleiteten nachricht"
        r"|début du message réexpédié)\s*:\s*$",
        # Gmail/Apple "On <date>, <name> wrote:" and translations
        r"^\s*(on|am|le|el|il|op|den|på|w dniu|em|dne|в|στις)\s.{0,250}?"
        r"(wrote|schrieb|a écrit|escribió|ha scritto|schreef|skrev|napisał\(a\)|napisał"
        r"|escreveu|napsal|написал|написала|έγραψε)\b.{0,120}:\s*$",
        r"^\s*\d{4}年\d{1,2}月\d{1,2}日.{0,160}[:：]\s*$",  # Japanese Gmail
        r"^\s*(在|於).{0,200}(写道|寫道)\s*[:：]\s*$",  # Chinese
        r"^\s*\d{4}년\s*\d{1,2}월\s*\d{1,2}일.{0,160}작성\s*[:：]?\s*$",  # Korean
    )
]
_ANY_QUOTE_START = re.compile("|".join(f"(?:{p.pattern})" for p in _QUOTE_START), re.IGNORECASE)
_TAILS = (":", "：", "-", "작성")  # how every _QUOTE_START pattern ends (before trailing spaces)
_WROTE = re.compile(r"\b(wrote|schrieb|a écrit|escribió)\s*:\s*$", re.IGNORECASE)
# Outlook's reply header: "From: …" followed closely by "Sent: …" (or Date:), any language.
_OUTLOOK_FROM = re.compile(
    r"^\s*\*?(from|von|de|da|van|från|fra|od|от|发件人|寄件者|差出人|보낸 사람)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(sent|date|gesendet|datum|envoyé|enviado|enviada|inviato|data|verzonden|skickat"
    r"|sendt|wysłano|отправлено|发送时间|日期|送信日時|보낸 날짜)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")

_MOBILE_SIGNATURE = re.compile(
    r"^\s*(sent from my \w+|sent from (mail|outlook|yahoo mail) for \w+|get outlook for \w+"
    r"|sent from my .{0,30}(phone|device|tablet)|von meinem \w+ gesendet|envoyé de mon \w+"
    r"|enviado desde mi \w+|inviato da \w+)\b.{0,40}$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(best|best regards|kind regards|warm regards|warmest regards|regards|many thanks"
    r"|thanks|thank you|thanks again|thanks so much|cheers|sincerely|yours sincerely"
    r"|yours truly|yours|all the best|best wishes|warmly|take care|talk soon|br|mfg"
    r"|mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|viele grüße"
    r"|beste grüße|liebe grüße|lg|cordialement|bien cordialement|bien à vous|salutations"
    r"|saludos|un saludo|atentamente|cordiali saluti|saluti|met vriendelijke groet|groeten"
    r"|hälsningar|med vänlig hälsning|pozdrawiam|с уважением"
    r"|よろしくお願いします|よろしくお願いいたします|以上)\b"
    r"\s*[,.!]*\s*(?P<name>\w+(\s\w+){0,2})?\s*$",
    re.IGNORECASE,
)
_BLANK_RUNS = re.compile(r"\n{3,}")
_SIGN_OFF_WINDOW = 12  # the sign-off must be among the last lines
_SIGNATURE_MAX_LINES = 8
_SIGNATURE_MAX_WIDTH = 80
_SIGNATURE_MAX_WORDS = 10  # a longer line is prose, not a name/title/phone line


def split_body(text: str) -> tuple[str, str]:
    """Return (new text, signature) of a plain-text body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _quote_start(lines)]
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    body, signature = _split_signature(lines)
    return _tidy(body), _tidy(signature)


def _quote_start(lines: list[str]) -> int:
    """Index of the first line of quoted or forwarded text, or len(lines)."""
    stripped = [line.strip() for line in lines]
    tailed = [s.endswith(_TAILS) for s in stripped]
    for i, line in enumerate(lines):
        text = stripped[i]
        if not text:
            continue
        # A reply header may wrap over up to three lines. Every pattern ends in one of _TAILS,
        # a cheap test that spares the regex on almost every line: a window can only match when
        # one of its lines ends so.
        if any(tailed[i : i + 3]):
            for n in (1, 2, 3):
                joined = " ".join(stripped[i : i + n])
                if joined.rstrip().endswith(_TAILS) and _ANY_QUOTE_START.match(joined):
                    return i
        if text.endswith(":") and _WROTE.search(line) and _next_text(lines, i).startswith(">"):
            return i
        if (":" in text or "：" in text) and _OUTLOOK_FROM.match(line):
            if any(_OUTLOOK_SENT.match(w) for w in lines[i + 1 : i + 6]):
                return i
        if text[:1] == "_" and _UNDERSCORES.match(line) and any(_OUTLOOK_FROM.match(w) for w in lines[i + 1 : i + 4]):
            return i
    return len(lines)


def _next_text(lines: list[str], i: int) -> str:
    return next((s.lstrip() for s in lines[i + 1 :] if s.strip()), "")


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    signature: list[str] = []
    # The conventional "-- " delimiter (often sent with the space stripped).
    marks = [i for i, line in enumerate(lines) if line.rstrip() == "--"]
    if marks:
        lines, signature = lines[: marks[-1]], lines[marks[-1] + 1 :]
    # "Sent from my iPhone" and friends.
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if filled and _MOBILE_SIGNATURE.match(lines[filled[-1]]):
        lines, signature = lines[: filled[-1]], [lines[filled[-1]], *signature]
        filled = filled[:-1]
    # A sign-off ("Best regards,") followed by a short block of name/title/company lines.
    for i in reversed(filled[-_SIGN_OFF_WINDOW:]):
        name = _sign_off_name(lines[i])
        if name is not None:
            block = [s.strip() for s in lines[i + 1 :] if s.strip()]
            short = all(
                len(s) <= _SIGNATURE_MAX_WIDTH and len(s.split()) <= _SIGNATURE_MAX_WORDS
                for s in block
            )
            # "Thanks," needs a name block after it; "Thanks, Bob" may end the message.
            if short and len(block) <= _SIGNATURE_MAX_LINES and (block or name):
                lines, signature = lines[:i], lines[i:] + signature
            break
    return lines, signature


@lru_cache(maxsize=1 << 14)  # a sender's signature lines recur in every message
def _sign_off_name(line: str) -> str | None:
    """The name after a sign-off ("Thanks, Bob" -> "Bob", "Best," -> ""); None for no sign-off."""
    sign_off = _SIGN_OFF.match(line)
    return (sign_off["name"] or "") if sign_off else None


def _tidy(lines: list[str]) -> str:
    """Trailing spaces off, runs of blank lines collapsed, blank edges removed."""
    text = "\n".join([line.rstrip() for line in lines])
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")


# --- HTML -------------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "table", "ul", "ol", "pre", "hr", "section", "article",
    "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "address", "blockquote",
}
_SKIPPED_TAGS = {"script", "style", "head", "title", "template"}


class _HtmlText(HTMLParser):
    """Collects the visible text of an HTML body; <blockquote> content comes out "> " quoted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list] = [[0, "", False]]  # [quote depth, text, preformatted]
        self.quote = self.skip = self.pre = 0

    def _break(self, always: bool = False) -> None:
        if always or self.lines[-1][1].strip():
            self.lines.append([self.quote, "", bool(self.pre)])
        else:
            self.lines[-1][0], self.lines[-1][2] = self.quote, bool(self.pre)

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in _SKIPPED_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.quote += tag == "blockquote"
            self.pre += tag == "pre"
            self._break(always=tag == "br")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS and tag != "br":
            self.quote = max(0, self.quote - (tag == "blockquote"))
            self.pre = max(0, self.pre - (tag == "pre"))
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.lines[-1][1] += first
            self.lines.extend([self.quote, s, True] for s in rest)
        else:
            self.lines[-1][1] += re.sub(r"\s+", " ", data)

    def text(self) -> str:
        out = [("> " * d + (s if pre else s.strip())).rstrip() for d, s, pre in self.lines]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, one line per block; quoted blocks are "> " prefixed."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()
