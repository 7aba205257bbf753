"""A generated firm's mail with known experts: the second expert-finding development set.

Different mechanics from the Stack Exchange set, on purpose: practitioners advise clients and colleagues
on their practice area (grade 3) and now and then on a second one (grade 1); juniors ask about any
topic, to a practice-group list or to a practitioner directly, and get replies that quote them;
managers are cc'd on much of it and send status mails naming several matters; a knowledge-management
roundup goes to thirty people every week; two practitioners write from a second address too; clients
ask questions. Words appear in several inflections, and much of every mail is generic business talk.

    write(folder, seed) -> (mbox path, labels path); labels as `kith evaluate experts` reads them.
"""

from __future__ import annotations

import json
import mailbox
import random
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

DOMAIN = "vantage.example"
TOPICS: dict[str, list[str]] = {
    "transfer pricing": "transfer transfers transferred pricing priced intercompany royalty royalties arm's-length "
                        "benchmarking benchmark margins documentation OECD comparables".split(),
    "merger control": "merger mergers control filing filings notification notified antitrust concentration "
                      "clearance remedies phase commission thresholds".split(),
    "data protection": "data protection GDPR privacy processing processor controllers breach breaches consent "
                       "transfers DPIA retention subject access".split(),
    "employment disputes": "employment employee employees dismissal dismissed tribunal grievance disputes dispute "
                           "severance redundancy claims whistleblowing".split(),
    "real estate finance": "real estate finance financing lender lenders mortgage mortgages property properties "
                           "refinancing facility covenants valuation".split(),
    "export controls": "export exports controls controlled sanctions licence licences dual-use embargo "
                       "screening classification jurisdiction".split(),
    "patent litigation": "patent patents litigation infringement infringing claims prior art injunction "
                         "invalidity validity experts trial".split(),
    "joint ventures": "joint venture ventures partnership partnerships shareholders agreement governance "
                      "deadlock exit partner partners".split(),
    "tax audits": "tax taxes audit audits auditing inspector assessment assessments penalties disclosure "
                  "authority appeal".split(),
    "construction contracts": "construction contract contracts contractor contractors delay delays defects "
                              "variations FIDIC adjudication site".split(),
    "insolvency": "insolvency insolvent restructuring administration administrator creditors creditor "
                  "liquidation moratorium distressed scheme".split(),
    "fund formation": "fund funds formation limited partners LPA carried interest investors investor "
                      "closing side letters regulatory".split(),
}
GENERIC = ("client matter call tomorrow draft comments thoughts timing next steps team meeting update note "
           "please thanks agree review attached version points issue issues approach position discuss week "
           "deadline budget fees scope engagement letter kick-off follow-up summary progress status board "
           "documents question happy help".split())
GIVEN = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena", "Milo", "Nia",
         "Omar", "Pia", "Raj", "Sara", "Theo", "Uma", "Vik", "Wren", "Xena", "Yann", "Zara", "Arlo", "Bea", "Cole",
         "Dina", "Ezra", "Fay", "Gil", "Hugo", "Iris", "Jon", "Kira"]
FAMILY = ["Archer", "Bishop", "Cruz", "Doyle", "Engel", "Flores", "Grant", "Hale", "Iqbal", "Jensen", "Khan",
          "Lowe", "Moreau", "Novak", "Okafor", "Park", "Quist", "Reyes", "Stone", "Tran", "Ueda", "Voss", "Webb",
          "Xu", "Young", "Zeller", "Amari", "Brandt", "Costa", "Dahl", "Ekwueme", "Fox", "Gomez", "Holm", "Ito",
          "Jovic"]


def write(folder: str | Path, seed: int = 2027, mails: int = 1500) -> tuple[Path, Path]:
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"{g} {f}" for g, f in zip(GIVEN, rng.sample(FAMILY, len(FAMILY)))]
    people = [(n, f"{n.lower().replace(' ', '.')}@{DOMAIN}") for n in names]
    topics = list(TOPICS)
    practitioners, managers, juniors = people[:24], people[24:28], people[28:36]
    primary = {p: topics[i % len(topics)] for i, p in enumerate(practitioners)}
    secondary = {p: rng.choice([t for t in topics if t != primary[p]]) for p in rng.sample(practitioners, 12)}
    activity = [rng.lognormvariate(0, 0.8) for _ in practitioners]
    aliases = {p: (p[0], p[1].split(".")[0] + f"@{DOMAIN}") for p in rng.sample(practitioners, 2)}
    group_list = ("Practice Group", f"practice-group@{DOMAIN}")
    roundup = ("KM Roundup", f"km-roundup@{DOMAIN}")
    clients = [(f"Client {i}", f"contact{i}@client{i % 9}.example") for i in range(40)]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)

    def when() -> datetime:
        return start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))

    def words(topic: str | None, n: int, share: float) -> str:
        out = [rng.choice(TOPICS[topic]) if topic and rng.random() < share else rng.choice(GENERIC) for _ in range(n)]
        return " ".join(out).capitalize() + "."

    def sender(p):
        return aliases[p] if p in aliases and rng.random() < 0.4 else p

    box_path = folder / "mail.mbox"
    box_path.unlink(missing_ok=True)
    box = mailbox.mbox(str(box_path))
    count = 0

    def send(frm, to, cc, subject, body, at, parent=None, quote=""):
        nonlocal count
        count += 1
        msg = EmailMessage()
        msg["From"] = formataddr(frm)
        msg["To"] = ", ".join(formataddr(t) for t in to)
        if cc:
            msg["Cc"] = ", ".join(formataddr(c) for c in cc)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(at)
        mid = f"<m{count}.{seed}@{DOMAIN}>"
        msg["Message-ID"] = mid
        if parent:
            msg["In-Reply-To"] = parent
            msg["References"] = parent
        text = f"{body}\n\nBest,\n{frm[0]}\n"
        if quote:
            text += f"\nOn {format_datetime(at - timedelta(hours=3))}, someone wrote:\n" + \
                "\n".join("> " + line for line in quote.splitlines()) + "\n"
        msg.set_content(text)
        box.add(msg)
        return mid

    def topic_of(p):
        return secondary[p] if p in secondary and rng.random() < 0.25 else primary[p]

    for _ in range(mails):
        kind = rng.random()
        at = when()
        if kind < 0.40:  # advice from a practitioner (busy ones write more), or a partner on anything
            if rng.random() < 0.2:
                p, t, share = rng.choice(managers), rng.choice(topics), 0.06
            else:
                p = rng.choices(practitioners, weights=activity)[0]
                t, share = topic_of(p), 0.08
            to = [rng.choice(clients)] if rng.random() < 0.6 else rng.sample(people, 1)
            cc = rng.sample(managers, 1) if rng.random() < 0.5 else []
            subject = f"{t.title()}: {rng.choice(GENERIC)}" if rng.random() < 0.4 else rng.choice(GENERIC).title()
            send(sender(p), to, cc, subject, words(t, rng.randint(40, 90), share), at)
        elif kind < 0.62:  # a junior (or a client) asks; a practitioner answers, quoting the question
            asker = rng.choice(juniors + clients[:10])
            t = rng.choice(topics)
            experts = [p for p in practitioners if primary[p] == t or secondary.get(p) == t]
            to = [group_list] if rng.random() < 0.5 else [rng.choice(experts)]
            question = "Does anyone know about " + t + "? " + words(t, rng.randint(15, 35), 0.5)
            subject = f"Question on {t}"
            mid = send(asker, to, rng.sample(juniors, 1) if rng.random() < 0.3 else [], subject, question, at)
            for answerer in rng.sample(experts, min(len(experts), rng.randint(1, 2))):
                send(sender(answerer), [asker], [group_list] if rng.random() < 0.3 else [], "Re: " + subject,
                     words(t, rng.randint(30, 70), 0.15), at + timedelta(hours=rng.randint(1, 30)), mid, question)
        elif kind < 0.80:  # a manager's status mail, naming several matters, to a team
            m = rng.choice(managers)
            named = rng.sample(topics, 3)
            body = " ".join(f"On {t}: {words(t, 8, 0.3)}" for t in named) + " " + words(None, 20, 0)
            send(m, rng.sample(practitioners, 6), rng.sample(managers + juniors, 3), "Status of matters", body, at)
        elif kind < 0.84:  # the weekly knowledge roundup to thirty people
            named = rng.sample(topics, 6)
            body = "\n".join(f"{t.title()}: {words(t, 12, 0.6)}" for t in named)
            send(roundup, rng.sample(people, 30), [], "This week in the firm", body, at)
        else:  # everyday chatter, sometimes cc'ing a manager
            a, b = rng.sample(people, 2)
            send(a, [b], rng.sample(managers, 2) if rng.random() < 0.6 else [], rng.choice(GENERIC).title(),
                 words(None, rng.randint(10, 40), 0), at)
    box.flush()
    box.close()

    labels: dict[str, dict[str, int]] = {t: {} for t in topics}
    for p, t in primary.items():
        labels[t][p[1]] = 3
    for p, t in secondary.items():
        labels[t].setdefault(p[1], 1)
    labels_path = folder / "labels.json"
    labels_path.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return box_path, labels_path


if __name__ == "__main__":
    import sys

    print(*write(sys.argv[1] if len(sys.argv) > 1 else "expert_firm"))
