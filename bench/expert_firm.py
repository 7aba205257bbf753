"""A generated firm's mail with known experts: the second expert-finding development set.

Built to be hard for every ranker, not to suit one, with the noise a real firm's mail has:

- Practitioners advise clients and colleagues on their practice area (grade 3) and sometimes on a
  second one (grade 1). How much each writes is skewed (log-normal): some experts rarely write.
- Experts write in their field's jargon more than in the words of its name; askers, assistants,
  marketing and managers use the name ("transfer pricing"). Words come in several inflections, and
  most of every mail is generic business talk.
- Juniors and clients ask, to the practice-group list, to an expert, or to the wrong practitioner,
  who passes it on. A few juniors ask a great deal, at length, about the matters they work on; askers
  follow up in the thread ("thanks, and what about ..."), so askers also write replies.
- Practitioners now and then write about a field that is not theirs (an article pasted for a
  colleague, "FYI").
- Partners are cc'd on much of it and send status mails naming several matters; two assistants are
  cc'd on more still and send the scheduling mails, named for the matter; a business developer writes
  to clients about every practice, cc'ing an expert; a knowledge manager (a person, who is written to)
  sends a weekly roundup to thirty people; a list address sends a digest.
- Three practitioners also write from a second address.

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
# topic -> the field's jargon (the words of its name, in their inflections, are added to it)
TOPICS: dict[str, list[str]] = {
    "transfer pricing": "intercompany royalty royalties arm's-length benchmarking benchmark margins OECD "
                        "comparables BEPS master-file TNMM".split(),
    "merger control": "antitrust concentration clearance remedies phase commission thresholds HSR "
                      "gun-jumping turnover notifiable".split(),
    "data protection": "GDPR privacy processing processor controllers breach breaches consent DPIA "
                       "retention subject-access".split(),
    "employment disputes": "employee employees dismissal dismissed tribunal grievance severance redundancy "
                           "whistleblowing unfair constructive".split(),
    "real estate finance": "lender lenders mortgage mortgages property properties refinancing facility "
                           "covenants valuation LTV".split(),
    "export controls": "sanctions licence licences dual-use embargo screening classification jurisdiction "
                       "ECCN EAR OFAC".split(),
    "patent litigation": "infringement infringing claims prior-art injunction invalidity validity trial "
                         "SEP FRAND markman".split(),
    "joint ventures": "partnership partnerships shareholders governance deadlock exit partner partners "
                      "reserved-matters JVA".split(),
    "tax audits": "inspector assessment assessments penalties disclosure authority appeal enquiry "
                  "HMRC reassessment".split(),
    "construction contracts": "contractor contractors delay delays defects variations FIDIC adjudication "
                              "site employer's-agent NEC".split(),
    "insolvency": "insolvent restructuring administration administrator creditors creditor liquidation "
                  "moratorium distressed scheme".split(),
    "fund formation": "LPA carried interest investors investor closing side-letters regulatory GP "
                      "feeder AIFMD".split(),
}
INFLECTIONS = {"pricing": ["priced", "price"], "transfer": ["transfers", "transferred"],
               "merger": ["mergers"], "control": ["controls", "controlled"], "data": [],
               "protection": ["protected", "protect"], "employment": ["employed"], "disputes": ["dispute"],
               "real": [], "estate": [], "finance": ["financing", "financed"], "export": ["exports", "exporting"],
               "controls": ["control", "controlled"], "patent": ["patents", "patented"],
               "litigation": ["litigating", "litigated"], "joint": [], "ventures": ["venture"],
               "tax": ["taxes", "taxation"], "audits": ["audit", "auditing"],
               "construction": [], "contracts": ["contract", "contractual"],
               "insolvency": ["insolvencies"], "fund": ["funds", "funding"], "formation": ["formed"]}
GENERIC = ("client matter call tomorrow draft comments thoughts timing next steps team meeting update note "
           "please thanks agree review attached version points issue issues approach position discuss week "
           "deadline budget fees scope engagement letter kick-off follow-up summary progress status board "
           "documents question happy help".split())
GIVEN = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena", "Milo", "Nia",
         "Omar", "Pia", "Raj", "Sara", "Theo", "Uma", "Vik", "Wren", "Xena", "Yann", "Zara", "Arlo", "Bea", "Cole",
         "Dina", "Ezra", "Fay", "Gil", "Hugo", "Iris", "Jon", "Kira", "Leo", "Mara", "Ned", "Orla", "Paz", "Quin",
         "Rhea", "Sol", "Tess", "Ugo", "Vera", "Wes"]
FAMILY = ["Archer", "Bishop", "Cruz", "Doyle", "Engel", "Flores", "Grant", "Hale", "Iqbal", "Jensen", "Khan",
          "Lowe", "Moreau", "Novak", "Okafor", "Park", "Quist", "Reyes", "Stone", "Tran", "Ueda", "Voss", "Webb",
          "Xu", "Young", "Zeller", "Amari", "Brandt", "Costa", "Dahl", "Ekwueme", "Fox", "Gomez", "Holm", "Ito",
          "Jovic", "Kerr", "Lund", "Mensah", "Nagy", "Ortiz", "Pike", "Rossi", "Sato", "Tate", "Ulloa", "Vance",
          "Wolfe"]


def write(folder: str | Path, seed: int = 1, mails: int = 2500) -> tuple[Path, Path]:
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"{g} {f}" for g, f in zip(GIVEN, rng.sample(FAMILY, len(FAMILY)))]
    people = [(n, f"{n.lower().replace(' ', '.')}@{DOMAIN}") for n in names]
    topics = list(TOPICS)
    practitioners, partners, juniors = people[:30], people[30:34], people[34:44]
    assistants, km, bd = people[44:46], people[46], people[47]
    primary = {p: topics[i % len(topics)] for i, p in enumerate(practitioners)}
    secondary = {p: rng.choice([t for t in topics if t != primary[p]]) for p in rng.sample(practitioners, 14)}
    activity = {p: rng.lognormvariate(0, 1.0) for p in practitioners}
    heavy = rng.sample(juniors, 3)  # ask a great deal, about their matters
    matters = {j: rng.sample(topics, 2) for j in juniors}
    aliases = {p: (p[0], p[1].split(".")[0] + f"@{DOMAIN}") for p in rng.sample(practitioners, 3)}
    group_list = ("Practice Group", f"practice-group@{DOMAIN}")
    digest = ("Practice Digest", f"practice-digest@{DOMAIN}")
    clients = [(f"Client {i}", f"contact{i}@client{i % 9}.example") for i in range(40)]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)

    def when() -> datetime:
        return start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))

    def topical(topic: str, by_expert: bool) -> str:
        name = topic.split()
        if rng.random() < (0.3 if by_expert else 0.75):
            w = rng.choice(name)
            return rng.choice([w, *INFLECTIONS.get(w, [])])
        return rng.choice(TOPICS[topic])

    def words(topic: str | None, n: int, share: float, by_expert: bool = False) -> str:
        out = [topical(topic, by_expert) if topic and rng.random() < share else rng.choice(GENERIC) for _ in range(n)]
        return " ".join(out).capitalize() + "."

    def sender(p):
        return aliases[p] if p in aliases and rng.random() < 0.4 else p

    def experts_on(t):
        return [p for p in practitioners if primary[p] == t or secondary.get(p) == t]

    def cc_of(rate_partner: float, rate_assistant: float) -> list:
        cc = rng.sample(partners, 1) if rng.random() < rate_partner else []
        return cc + (rng.sample(assistants, 1) if rng.random() < rate_assistant else [])

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

    def thread(at):
        """A question, answered by one or two experts (perhaps after a wrong first address), with follow-ups."""
        if rng.random() < 0.75:
            asker = rng.choices(juniors, weights=[6 if j in heavy else 1 for j in juniors])[0]
            t = rng.choice(matters[asker]) if rng.random() < 0.7 else rng.choice(topics)
        else:
            asker, t = rng.choice(clients[:10]), rng.choice(topics)
        long = asker in heavy
        experts = experts_on(t)
        route = rng.random()
        to = [group_list] if route < 0.45 else [rng.choice(experts)] if route < 0.8 else \
            [rng.choice([p for p in practitioners if p not in experts])]
        question = "Does anyone know about " + t + "? " + words(t, rng.randint(40, 90) if long else rng.randint(15, 35), 0.5)
        subject = f"Question on {t}" if rng.random() < 0.5 else rng.choice(["Quick question", "Help please", "Query"])
        cc = rng.sample(juniors, 1) if rng.random() < 0.3 else []
        last = send(asker, to, cc, subject, question, at)
        at += timedelta(hours=rng.randint(1, 20))
        if route >= 0.8:  # the wrong practitioner passes it on
            last = send(to[0], [asker], [rng.choice(experts)], "Re: " + subject,
                        words(None, rng.randint(8, 20), 0) + " Adding a colleague who knows this well.", at, last, question)
            at += timedelta(hours=rng.randint(1, 20))
        for answerer in rng.sample(experts, min(len(experts), rng.randint(1, 2))):
            answer = words(t, rng.randint(30, 80), 0.15, by_expert=True)
            last = send(sender(answerer), [asker], cc_of(0.2, 0.2) + ([group_list] if to == [group_list] else []),
                        "Re: " + subject, answer, at, last, question)
            at += timedelta(hours=rng.randint(1, 20))
            if rng.random() < (0.6 if long else 0.3):  # the asker follows up, and is answered again
                follow = "Thanks, that helps. And what about " + words(t, rng.randint(15, 40), 0.4)
                last = send(asker, [answerer], [], "Re: " + subject, follow, at, last, answer)
                at += timedelta(hours=rng.randint(1, 20))
                last = send(sender(answerer), [asker], [], "Re: " + subject,
                            words(t, rng.randint(20, 50), 0.15, by_expert=True), at, last, follow)

    for _ in range(mails):
        kind = rng.random()
        at = when()
        if kind < 0.30:  # advice from a practitioner (busy ones write more), or a partner on anything
            if rng.random() < 0.15:
                p, t, share, expert = rng.choice(partners), rng.choice(topics), 0.06, False
            else:
                p = rng.choices(practitioners, weights=[activity[x] for x in practitioners])[0]
                t, share, expert = topic_of(p), 0.08, True
            to = [rng.choice(clients)] if rng.random() < 0.6 else rng.sample(people[:44], 1)
            subject = f"{t.title()}: {rng.choice(GENERIC)}" if rng.random() < 0.3 else rng.choice(GENERIC).title()
            send(sender(p), to, cc_of(0.5, 0.3), subject, words(t, rng.randint(40, 90), share, expert), at)
        elif kind < 0.50:
            thread(at)
        elif kind < 0.55:  # a practitioner on a field not theirs: an article pasted for a colleague
            p = rng.choices(practitioners, weights=[activity[x] for x in practitioners])[0]
            t = rng.choice([x for x in topics if x != primary[p] and x != secondary.get(p)])
            send(sender(p), rng.sample(people[:44], rng.randint(1, 3)), [], f"FYI: {t} article",
                 "Saw this and thought of you. " + words(t, rng.randint(60, 120), 0.3), at)
        elif kind < 0.67:  # a partner's status mail, naming several matters, to a team
            m = rng.choice(partners)
            named = rng.sample(topics, 3)
            body = " ".join(f"On {t}: {words(t, 10, 0.4)}" for t in named) + " " + words(None, 20, 0)
            send(m, rng.sample(practitioners, 6), rng.sample(partners + juniors + assistants, 3), "Status of matters",
                 body, at)
        elif kind < 0.75:  # an assistant schedules a call, named for the matter
            a, t = rng.choice(assistants), rng.choice(topics)
            team = rng.sample(practitioners, 2) + ([rng.choice(experts_on(t))] if rng.random() < 0.5 else [])
            send(a, team, rng.sample(partners, 1), f"Call re {t} matter",
                 f"The {t} call is moved. " + words(t, rng.randint(10, 25), 0.3), at)
        elif kind < 0.78:  # the business developer pitches a practice to a client, cc'ing an expert
            t = rng.choice(topics)
            send(bd, [rng.choice(clients)], [rng.choice(experts_on(t))], f"Our {t} practice",
                 f"Our {t} team would be glad to help. " + words(t, rng.randint(30, 60), 0.3), at)
        elif kind < 0.80:  # the knowledge manager's weekly roundup, and items sent in for it
            if rng.random() < 0.6:
                named = rng.sample(topics, 6)
                body = "\n".join(f"{t.title()}: {words(t, 12, 0.6)}" for t in named)
                send(km, rng.sample(people[:44], 30), [], "This week in the firm", body, at)
            else:
                p = rng.choice(practitioners)
                send(sender(p), [km], [], "For the roundup", words(topic_of(p), rng.randint(20, 40), 0.2, True), at)
        elif kind < 0.82:  # the practice digest, from a list address
            named = rng.sample(topics, 5)
            body = "\n".join(f"{t.title()}: {words(t, 15, 0.5)}" for t in named)
            send(digest, rng.sample(people[:44], 25), [], "Practice digest", body, at)
        else:  # everyday chatter, often cc'ing a partner or an assistant
            a, b = rng.sample(people[:48], 2)
            send(a, [b], cc_of(0.6, 0.4), rng.choice(GENERIC).title(), words(None, rng.randint(10, 40), 0), at)
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
