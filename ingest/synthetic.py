"""A synthetic but realistic firm's mail, for the demo, the benchmarks and tests.

Deterministic for a seed: colleagues at the firm's domain, client organisations with contacts
(accented, Chinese, Japanese and Korean names among them), threads with replies and cc lists,
signatures with titles and phones, newsletters, out-of-office replies and bounces.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import Header
from email.utils import format_datetime, formataddr
from datetime import datetime, timezone
from pathlib import Path

FIRM_DOMAIN = "harbourlaw.example"

GIVEN = ["Ana", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ingrid", "James", "Katarzyna", "Liam",
         "Maria", "Noah", "Olivia", "Pierre", "Quentin", "Rosa", "Sven", "Tomás", "Ursula", "Victor", "Wei", "Yuki",
         "Zoë", "Amélie", "Björn", "Chloé", "Dário", "Emeka", "Fatima", "Giulia", "Hannah", "Ibrahim", "Jörg"]
FAMILY = ["Alves", "Baker", "Chen", "Dubois", "Eriksson", "Fischer", "García", "Hughes", "Ivanova", "Jansen",
          "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka",
          "Ueda", "Novák", "Walsh", "Xu", "Yilmaz", "Zimmermann", "Søndergaard", "Łukasz", "Ó Briain", "Dupont"]
CJK_NAMES = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "王伟", "李娜", "张敏", "김민준", "이서연", "박지훈", "陳志明"]
CJK_LATIN = ["yamada", "sato", "suzuki", "wang.wei", "li.na", "zhang.min", "minjun.kim", "seoyeon.lee", "jihoon.park",
             "chen.zhiming"]
COMPANIES = ["Acme Holdings", "Globex", "Initech", "Umbrella Pharma", "Stark Industries", "Wayne Logistics",
             "Tyrell Robotics", "Cyberdyne Systems", "Soylent Foods", "Hooli", "Vandelay Industries", "Massive Dynamic",
             "Nakatomi Trading", "Oscorp", "Wonka Confectionery", "Gringotts Bank", "Duff Brewing", "Aperture Science",
             "Black Mesa Energy", "Monarch Airlines", "Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys",
             "Blue Yonder Airlines", "Litware", "Proseware", "Adventure Works", "Woodgrove Bank", "Alpine Ski House"]
SUFFIXES = ["Inc.", "Ltd", "GmbH", "S.A.", "plc", "LLC", "AG", "B.V.", "K.K.", "SAS"]
TOPICS = ["export controls classification", "GDPR data transfers", "merger control filing", "transfer pricing review",
          "sanctions screening", "employment dispute", "patent licensing", "supply agreement renegotiation",
          "anti-bribery compliance", "shareholder agreement", "commercial lease", "data breach response",
          "tax structuring", "antitrust investigation", "IPO readiness", "debt refinancing", "ESG reporting",
          "cross-border acquisition", "trade secret litigation", "pension scheme restructuring"]
CJK_TOPICS = ["出口管制に関する相談", "数据跨境传输", "合併審査の届出", "개인정보 국외이전"]
CLIENT_TITLES = ["General Counsel", "Chief Financial Officer", "Head of Compliance", "VP Legal", "Chief Executive Officer",
                 "Director of Procurement", "Senior Legal Counsel", "Chief Operating Officer", "Head of Tax",
                 "Managing Director"]
FIRM_TITLES = ["Partner", "Senior Associate", "Associate", "Counsel", "Managing Partner", "Trainee Solicitor"]
LINES = ["Could you take a look at the attached draft before our call?",
         "Following up on our discussion, here are the open points.",
         "We need your view on the regulatory angle by Friday.",
         "Thanks for the quick turnaround on this.",
         "The board meets next week and will want a short summary.",
         "Please find our comments in the markup.",
         "Can we move the deadline to the end of the month?",
         "I have copied my colleague who is leading on this."]


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str
    title: str
    company: str  # display name with legal suffix
    phone: str


@dataclass(slots=True)
class Firm:
    domain: str
    colleagues: list[Contact]
    clients: dict[str, list[Contact]] = field(default_factory=dict)  # company -> contacts


def make_firm(seed: int = 7, colleagues: int = 40, organizations: int = 30, contacts_per_org: int = 8) -> Firm:
    rng = random.Random(seed)
    used: set[str] = set()  # one person per name, so the sample has no look-alikes to review

    def person(domain: str, titles: list[str], company: str, n: int) -> Contact:
        k = rng.randrange(len(CJK_NAMES))
        if rng.random() < 0.12 and CJK_NAMES[k] not in used:
            name, local = CJK_NAMES[k], f"{CJK_LATIN[k]}{n}"
            used.add(name)
        else:
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            while f"{given} {family}" in used and len(used) < len(GIVEN) * len(FAMILY):
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            name = f"{given} {family}"
            used.add(name)
            local = f"{_ascii(given)}.{_ascii(family)}{n}".lower().replace(" ", "")
        phone = f"+{rng.choice([1, 44, 49, 33, 81, 86])} {rng.randint(20, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
        return Contact(name, f"{local}@{domain}", rng.choice(titles), company, phone)

    firm = Firm(FIRM_DOMAIN, [person(FIRM_DOMAIN, FIRM_TITLES, "Harbour Law LLP", n) for n in range(colleagues)])
    for n in range(organizations):
        base = COMPANIES[n % len(COMPANIES)] + ("" if n < len(COMPANIES) else f" {n // len(COMPANIES) + 1}")
        company = f"{base} {rng.choice(SUFFIXES)}"
        domain = _ascii(base).lower().replace(" ", "") + rng.choice([".com", ".co.uk", ".de", ".example"])
        firm.clients[company] = [person(domain, CLIENT_TITLES, company, k) for k in range(contacts_per_org)]
    return firm


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and (c.isalnum() or c == " "))


def _addr(c: Contact) -> str:
    return formataddr((str(Header(c.name, "utf-8")) if not c.name.isascii() else c.name, c.email),
                      charset="utf-8") if not c.name.isascii() else formataddr((c.name, c.email))


def _signature(c: Contact) -> str:
    return f"\n\nBest regards,\n{c.name}\n{c.title}\n{c.company}\nTel: {c.phone}\n"


def _message(mid: str, frm: Contact, to: list[Contact], cc: list[Contact], subject: str, when: datetime, body: str,
             parent: str = "", references: list[str] | None = None, extra: str = "") -> str:
    subject_header = subject if subject.isascii() else Header(subject, "utf-8").encode()
    lines = [f"From: {_addr(frm)}", f"To: {', '.join(map(_addr, to))}"]
    if cc:
        lines.append(f"Cc: {', '.join(map(_addr, cc))}")
    lines += [f"Subject: {subject_header}", f"Date: {format_datetime(when)}", f"Message-ID: <{mid}>"]
    if parent:
        lines += [f"In-Reply-To: <{parent}>", f"References: {' '.join(f'<{r}>' for r in references or [parent])}"]
    if extra:
        lines.append(extra)
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return "\n".join(lines) + "\n\n" + body


def messages(firm: Firm, count: int, seed: int = 11, start: datetime | None = None, days: int = 1095) -> Iterator[str]:
    """``count`` RFC 822 messages, threads and all, spread over ``days`` from ``start``: threads begin
    in time order; a thread's replies follow it within days."""
    rng = random.Random(seed)
    start = start or datetime(2023, 1, 2, tzinfo=timezone.utc)
    companies = list(firm.clients)
    step = days * 86400 / max(count, 1)
    end = start.timestamp() + days * 86400
    produced = 0
    t = start.timestamp()
    n = 0
    while produced < count:
        n += 1
        t += step * rng.uniform(0.5, 1.5)
        when = datetime.fromtimestamp(t, timezone.utc)
        roll = rng.random()
        if roll < 0.08:  # newsletters and other bulk mail
            company = rng.choice(companies)
            sender = Contact(f"{company} News", f"news@{firm.clients[company][0].email.split('@')[1]}", "", company, "")
            yield _message(f"bulk{n}.{seed}@mail", sender, [rng.choice(firm.colleagues)], [],
                           f"{company} newsletter: {rng.choice(TOPICS)}", when, "Read our latest insights.\n",
                           extra="Precedence: bulk\nList-Unsubscribe: <mailto:unsubscribe@example.com>")
            produced += 1
            continue
        if roll < 0.09:  # bounces
            colleague = rng.choice(firm.colleagues)
            daemon = Contact("Mail Delivery System", f"MAILER-DAEMON@mx.{firm.domain}", "", "", "")
            yield _message(f"dsn{n}.{seed}@mx", daemon, [colleague], [], "Undelivered Mail Returned to Sender", when,
                           "This is the mail system. I'm sorry to have to inform you that your message could not be "
                           "delivered.\n", extra="Auto-Submitted: auto-replied")
            produced += 1
            continue
        company = rng.choice(companies)
        colleague = rng.choice(firm.colleagues)
        contacts = rng.sample(firm.clients[company], k=min(len(firm.clients[company]), rng.choice([1, 1, 1, 2, 3])))
        cc = rng.sample(firm.colleagues, k=rng.choice([0, 0, 1, 2]))
        topic = rng.choice(CJK_TOPICS) if any(not c.name.isascii() for c in contacts) and rng.random() < 0.5 \
            else rng.choice(TOPICS)
        subject = f"{topic.capitalize() if topic.isascii() else topic} – {company.split()[0]}"
        people = [colleague, *contacts]
        root = f"t{n}.{seed}@{colleague.email.split('@')[1]}"
        sender = rng.choice(people)
        to = [p for p in people if p != sender][:2] or [colleague]
        body = rng.choice(LINES) + " " + rng.choice(LINES) + (_signature(sender) if rng.random() < 0.7 else "\n")
        yield _message(root, sender, to, [c for c in cc if c != sender], subject, when, body)
        produced += 1
        refs = [root]
        previous_sender = sender
        reply_at = when.timestamp()
        for r in range(rng.choice([0, 1, 1, 2, 3, 5])):
            if produced >= count:
                break
            replier = rng.choice([p for p in people if p != previous_sender])
            reply_at = min(end, reply_at + rng.uniform(600, 172800))
            t += step * rng.uniform(0.5, 1.5)  # the clock of new threads moves on as if this were one
            reply_when = datetime.fromtimestamp(reply_at, timezone.utc)
            mid = f"r{n}.{r}.{seed}@{replier.email.split('@')[1]}"
            quoted = "\n".join("> " + line for line in body.splitlines()[:4])
            body = rng.choice(LINES) + (_signature(replier) if rng.random() < 0.6 else "\n") + "\n" + quoted + "\n"
            if rng.random() < 0.05:  # an out-of-office instead of a real reply
                yield _message(mid, replier, [previous_sender], [], f"Automatic reply: {subject}", reply_when,
                               "I am out of the office until Monday.\n", parent=refs[-1], references=list(refs),
                               extra="Auto-Submitted: auto-replied")
            else:
                yield _message(mid, replier, [previous_sender], [], f"Re: {subject}", reply_when, body,
                               parent=refs[-1], references=list(refs))
            produced += 1
            refs.append(mid)
            previous_sender = replier


def write_mbox(path: Path, items: Iterator[str]) -> int:
    """Write messages as one mbox file (From_ lines, >From munging); returns how many."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for text in items:
            body = "\n".join((">" + line) if line.startswith("From ") else line for line in text.split("\n"))
            f.write("From kith@synthetic Mon Jan  2 00:00:00 2023\n" + body.rstrip("\n") + "\n\n")
            count += 1
    return count


def write_corpus(folder: Path, firm: Firm, count: int, per_file: int = 10_000, seed: int = 11,
                 start: datetime | None = None, days: int = 1095) -> list[Path]:
    """``count`` messages as mbox files of ``per_file`` messages each."""
    folder.mkdir(parents=True, exist_ok=True)
    stream = messages(firm, count, seed, start, days)
    paths = []
    for n in range(0, count, per_file):
        path = folder / f"mail-{n // per_file:04d}.mbox"
        write_mbox(path, (next(stream) for _ in range(min(per_file, count - n))))
        paths.append(path)
    return paths


# -- calendars, deal exports (for the benches) -----------------------------------------------------
def _ics_address(role: str, c: Contact, extra: str = "") -> str:
    cn = c.name.replace('"', "")
    return f'{role};CN="{cn}"{extra}:mailto:{c.email}'


def write_calendar(path: Path, firm: Firm, series: int, weeks: int = 26, singles: int = 0, seed: int = 13,
                   start: datetime | None = None) -> int:
    """An Outlook-style .ics: ``series`` weekly meetings of ``weeks`` occurrences each (a colleague
    organising, client contacts and colleagues attending with mixed PARTSTATs, an EXDATE now and then)
    and ``singles`` one-off meetings. Returns the number of occurrences it describes."""
    rng = random.Random(seed)
    start = start or datetime(2023, 1, 2, 9, tzinfo=timezone.utc)
    companies = list(firm.clients)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Kith//synthetic//EN", "METHOD:PUBLISH"]
    occurrences = 0

    def event(uid: str, when: datetime, rule: str = "") -> list[str]:
        organizer = rng.choice(firm.colleagues)
        company = rng.choice(companies)
        guests = rng.sample(firm.clients[company], k=min(len(firm.clients[company]), rng.randint(1, 4)))
        guests += rng.sample(firm.colleagues, k=rng.choice([0, 1, 2]))
        out = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{start:%Y%m%dT%H%M%SZ}", f"DTSTART:{when:%Y%m%dT%H%M%SZ}",
               f"DTEND:{when.replace(minute=45):%Y%m%dT%H%M%SZ}",
               f"SUMMARY:{rng.choice(TOPICS).capitalize()} – {company.split()[0]}",
               f"DESCRIPTION:{rng.choice(LINES)}", _ics_address("ORGANIZER", organizer)]
        for g in guests:
            status = rng.choices(["ACCEPTED", "TENTATIVE", "DECLINED", "NEEDS-ACTION"], [6, 2, 1, 1])[0]
            out.append(_ics_address("ATTENDEE", g, f";ROLE=REQ-PARTICIPANT;PARTSTAT={status}"))
        if rule:
            out.append(rule)
        return out + ["END:VEVENT"]

    for n in range(series):
        when = datetime.fromtimestamp(start.timestamp() + rng.randrange(0, 180) * 86400 + rng.randrange(0, 8) * 3600,
                                      timezone.utc)
        lines += event(f"series-{n}-{seed}@synthetic", when, f"RRULE:FREQ=WEEKLY;COUNT={weeks}")
        occurrences += weeks
        if rng.random() < 0.2:  # one occurrence deleted
            skipped = datetime.fromtimestamp(when.timestamp() + 7 * 86400 * rng.randrange(1, weeks), timezone.utc)
            lines.insert(-1, f"EXDATE:{skipped:%Y%m%dT%H%M%SZ}")
            occurrences -= 1
    for n in range(singles):
        when = datetime.fromtimestamp(start.timestamp() + rng.randrange(0, 365 * 24) * 3600, timezone.utc)
        lines += event(f"single-{n}-{seed}@synthetic", when)
        occurrences += 1
    lines.append("END:VCALENDAR")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8", newline="")
    return occurrences


def write_deals_csv(path: Path, firm: Firm, rows: int, seed: int = 17) -> int:
    """A CRM export in the generic profile's columns, with dirt: name variants of accounts (no legal
    suffix, upper case, a typo), rows without account, amounts written three ways."""
    import csv

    rng = random.Random(seed)
    companies = list(firm.clients)
    stages = ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", "name", "account", "stage", "amount", "currency", "opened", "closed", "owner",
                      "owner_email", "contacts", "contact_role"])
        for n in range(rows):
            company = rng.choice(companies)
            base = company.rsplit(" ", 1)[0]
            account = rng.choices([company, base, base.upper(), base[:-1] + base[-1] * 2, ""], [5, 3, 1, 1, 1])[0]
            owner = rng.choice(firm.colleagues)
            contacts = rng.sample(firm.clients[company], k=rng.randint(0, 3))
            stage = rng.choice(stages)
            value = rng.randint(5, 900) * 1000
            amount = rng.choice([str(value), f"{value:,}", f"${value:,}.00"])
            opened = datetime(2023, 1, 1, tzinfo=timezone.utc).timestamp() + rng.randrange(0, 700) * 86400
            closed = opened + rng.randrange(10, 200) * 86400
            out.writerow([f"D-{n:06d}", f"{rng.choice(TOPICS).capitalize()} ({base})", account, stage, amount, "USD",
                          datetime.fromtimestamp(opened, timezone.utc).strftime("%Y-%m-%d"),
                          datetime.fromtimestamp(closed, timezone.utc).strftime("%Y-%m-%d")
                          if stage in ("won", "lost") else "",
                          owner.name, owner.email, ";".join(f"{c.name} ({c.email})" for c in contacts),
                          rng.choice(["Decision Maker", "Champion", "Influencer", "Economic Buyer", ""])])
    return rows
