"""Identity resolution on labelled alias sets: pairwise precision and recall of the people Kith makes.

    python bench/identity.py [--people 400] [--messages 6000] [--seeds 1,2] [--keep DIR]

Generates, for each seed, a firm and its clients whose people write from several addresses by
realistic patterns (first.last, flast, f.last, first_last, first.m.last, firstl, nickname.last, a
personal free-mail address some forward to), with hard negatives (two people sharing a family name
and first initial, Bill and Robert with one family name, numbered role accounts under one display
name, common names at other companies and on free-mail; never two people with one full name at one
company, whom no evidence in mail could tell apart). Messages carry names the ways real exports
do: display names, none at all, or Exchange/Lotus ``X-From``/``X-To``/``X-cc`` headers. Odd seeds
lean on Exchange exports, even seeds on display names and bare addresses.

The mail goes through the real email pipeline into a fresh SQLite file; the people it makes are
compared with the truth over pairs of addresses (a pair is positive when both belong to one person):
precision = true pairs merged / pairs merged, recall = true pairs merged / true pairs. Two simple
baselines are computed in the same run: every address its own person (recall 0) and "same display
name or same address-derived name = same person" (what a naive join would do). Targets: precision
>= 0.99, recall >= 0.9.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMES_CSV = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "names_nicknames" / \
    "carltonnorthern_nicknames_names.csv"
FIRM = "firm.example"
FREE_MAIL = ["gmail.com", "yahoo.com", "aol.com", "hotmail.com", "outlook.com", "comcast.net", "gmx.de"]
COMPANIES = ["acme-corp.com", "globex.com", "initech.com", "umbrella-pharma.com", "hooli.com", "vandelay.com",
             "northwind.com", "contoso.com", "fabrikam.com", "bracepatt.com", "tyrell.com", "soylent.com"]
FAMILY = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
          "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
          "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
          "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
          "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Kaminski", "Shively", "Lavorato", "Whalley",
          "Carroll", "Belden", "Grigsby", "Kowalski", "Schmidt", "Fischer", "Dubois", "Rossi", "Jansen",
          "Eriksson", "Novak", "Walsh", "Quinn", "Patel", "Chen", "Tanaka", "Murphy", "Kelly", "Sullivan",
          "Fitzgerald", "Oconnor", "Price", "Bennett", "Wood", "Barnes", "Ross", "Henderson", "Coleman", "Jenkins",
          "Perry", "Powell", "Long", "Hughes", "Butler", "Simmons", "Foster", "Bryant", "Alexander", "Russell",
          "Griffin", "Hayes", "Myers", "Ford", "Hamilton", "Graham", "Sullivan", "Wallace", "Woods", "Cole",
          "West", "Jordan", "Owens", "Reynolds", "Fisher", "Ellis", "Harrison", "Gibson", "Mcdonald", "Cruz",
          "Marshall", "Ortiz", "Gomez", "Murray", "Freeman", "Wells", "Webb", "Simpson", "Stevens", "Tucker",
          "Porter", "Hunter", "Hicks", "Crawford", "Henry", "Boyd", "Mason", "Morales", "Kennedy", "Warren"]
LOCAL_PATTERNS = ["first.last", "flast", "f.last", "first_last", "first.m.last", "firstl", "firstlast"]


@dataclass
class Human:
    key: int
    given: str
    family: str
    middle: str
    nick: str  # a nickname they go by ('' when none)
    domain: str
    internal: bool
    addresses: list[str] = field(default_factory=list)
    personal: str = ""  # free-mail address ('' when none)
    forwards: bool = False  # mails themselves between work and personal address
    role: bool = False  # a role account (support1@), its own "person"


def _names() -> tuple[list[str], dict[str, list[str]]]:
    given, nicks = set(), defaultdict(list)
    with NAMES_CSV.open() as f:
        for row in csv.DictReader(f):
            a, b = row["name1"].strip(), row["name2"].strip()
            if a.isalpha() and b.isalpha() and len(a) >= 3:
                given.add(a)
                if len(b) >= 3:
                    nicks[a].append(b)
    return sorted(given), nicks


def local_part(pattern: str, given: str, family: str, middle: str) -> str:
    g, f, m = given.lower(), family.lower(), (middle or "x").lower()
    return {"first.last": f"{g}.{f}", "flast": f"{g[0]}{f}", "f.last": f"{g[0]}.{f}", "first_last": f"{g}_{f}",
            "first.m.last": f"{g}.{m[0]}.{f}", "firstl": f"{g}{f[0]}", "firstlast": f"{g}{f}"}[pattern]


def make_world(seed: int, people: int) -> list[Human]:
    rng = random.Random(seed)
    given_names, nicks = _names()
    with_nick = [g for g in given_names if nicks.get(g)]
    companies = rng.sample(COMPANIES, 8)
    house = {d: rng.choice(["first.last", "first.last", "flast", "f.last", "first_last"]) for d in [FIRM, *companies]}
    humans: list[Human] = []
    used: set[str] = set()
    names_at: set[tuple[str, str, str]] = set()

    def new(given: str, family: str, domain: str, internal: bool, nick: str = "") -> Human:
        # two people with one full name at one company cannot be told apart by anyone: not generated
        while family and (given.lower(), family, domain) in names_at:
            family = rng.choice(FAMILY)
        names_at.add((given.lower(), family, domain))
        h = Human(len(humans), given.capitalize(), family, rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5
                  else "", nick.capitalize(), domain, internal)
        humans.append(h)
        return h

    for n in range(people):
        internal = n < people // 4
        domain = FIRM if internal else rng.choice(companies)
        g = rng.choice(with_nick if rng.random() < 0.5 else given_names)
        new(g, rng.choice(FAMILY), domain, internal, rng.choice(nicks[g]) if nicks.get(g) and rng.random() < 0.3 else "")
    # hard negatives: same family name and initial at one company; Bill and Robert; common names elsewhere
    for _ in range(max(2, people // 40)):
        d = rng.choice([FIRM, *companies])
        fam = rng.choice(FAMILY)
        pair = rng.choice([("john", "jane"), ("michael", "mary"), ("david", "daniel"), ("robert", "richard"),
                           ("steven", "sarah"), ("james", "julia")])
        for g in pair:
            new(g, fam, d, d == FIRM)
        new("bill", fam + "s" if rng.random() < 0.2 else fam, d, d == FIRM)
        new("robert", fam, d, d == FIRM, "bob")
        other = rng.choice([c for c in companies if c != d])
        new("john", "Smith", other, False)
    for d in rng.sample(companies, 3):  # numbered role accounts under one display name
        for k in (1, 2):
            h = new("support", "", d, False)
            h.role, h.addresses = True, [f"support{k}@{d}"]
            used.add(h.addresses[0])
    for h in humans:
        if h.role:
            continue
        pattern = house[h.domain]
        local = local_part(pattern, h.given, h.family, h.middle)
        k = 2
        while f"{local}@{h.domain}" in used:  # a second J Smith gets jsmith2
            local, k = f"{local_part(pattern, h.given, h.family, h.middle)}{k}", k + 1
        h.addresses.append(f"{local}@{h.domain}")
        used.add(h.addresses[0])
        if rng.random() < 0.45:  # a second address at the company: an older scheme, or the nickname
            alt = rng.choice([p for p in LOCAL_PATTERNS if p != pattern])
            alias = local_part(alt, h.nick or h.given, h.family, h.middle) if h.nick and rng.random() < 0.5 \
                else local_part(alt, h.given, h.family, h.middle)
            address = f"{alias}@{h.domain}"
            if address not in used:
                h.addresses.append(address)
                used.add(address)
        if h.internal and rng.random() < 0.3:  # a personal free-mail address
            fm = rng.choice(FREE_MAIL)
            alias = rng.choice([local_part("flast", h.given, h.family, h.middle),
                                local_part("first.last", h.given, h.family, h.middle),
                                local_part("firstlast", h.given, h.family, h.middle) + str(rng.randint(10, 99))])
            address = f"{alias.replace('.', '') if fm == 'gmail.com' else alias}@{fm}"
            if address not in used:
                h.personal = address
                h.forwards = rng.random() < 0.75
                used.add(address)
    # strangers on free-mail with a colleague's common name: never the colleague
    for h in rng.sample([h for h in humans if h.internal and not h.role], 3):
        s = new(h.given, h.family, rng.choice(FREE_MAIL), False)
        s.addresses = [f"{h.given.lower()}.{h.family.lower()}{rng.randint(100, 999)}@{s.domain}"]
    return humans


def display(h: Human, rng: random.Random) -> str:
    if h.role:
        return "Customer Support"
    r = rng.random()
    given = h.nick if h.nick and rng.random() < 0.4 else h.given
    if r < 0.45:
        return f"{given} {h.family}"
    if r < 0.65:
        return f"{h.family}, {given}" + (f" {h.middle}" if h.middle else "")
    if r < 0.8:
        return f"{given} {h.middle + '. ' if h.middle else ''}{h.family}"
    return f"{given} {h.family}".upper() if r < 0.9 else f"{given} {h.family}".lower()


def _x_name(h: Human, address: str, rng: random.Random) -> str:
    """How an Exchange or Lotus export names someone."""
    name = display(h, rng)
    if address.endswith("@" + FIRM):
        return rng.choice([f"{name} <{name}/HOU/FIRM@FIRM>",
                           f"{name} </O=FIRM/OU=NA/CN=RECIPIENTS/CN={h.family.upper()[:6]}>", name])
    return rng.choice([f"{name} <{address}>", f'"{address}" <{address}>', name, address])


def messages(humans: list[Human], count: int, seed: int) -> tuple[list[str], dict[str, int]]:
    """mbox text of ``count`` messages, and the truth: address -> human key."""
    rng = random.Random(seed * 7919)
    exchange_share = 0.5 if seed % 2 else 0.15
    named_share = 0.25 if seed % 2 else 0.5
    firm = [h for h in humans if h.internal]
    others = [h for h in humans if not h.internal]
    truth: dict[str, int] = {}
    out = []
    start = datetime(2001, 1, 1, tzinfo=timezone.utc)

    def pick(h: Human) -> str:
        if h.personal and rng.random() < 0.15:
            return h.personal
        return h.addresses[0] if rng.random() < 0.6 or len(h.addresses) == 1 else rng.choice(h.addresses[1:])

    for n in range(count):
        colleague = rng.choice(firm)
        if colleague.personal and colleague.forwards and rng.random() < 0.08:
            sender, frm, rcpts = colleague, colleague.addresses[0], [(colleague, colleague.personal)]
            if rng.random() < 0.5:
                frm, rcpts = colleague.personal, [(colleague, colleague.addresses[0])]
        else:
            group = [colleague, *rng.sample(others, rng.choice([1, 1, 2])), *rng.sample(firm, rng.choice([0, 0, 1]))]
            group = list({h.key: h for h in group}.values())
            sender = group[0] if rng.random() < 0.5 else rng.choice(group)
            frm = pick(sender)
            rcpts = [(h, pick(h)) for h in group if h is not sender]
            if not rcpts:
                continue
        truth[frm] = sender.key
        for h, a in rcpts:
            truth[a] = h.key
        style = rng.random()
        to, cc = rcpts[:2], rcpts[2:]
        when = format_datetime(start + timedelta(minutes=37 * n))
        forward = "Fw: " if rcpts[0][0] is sender else ""
        head = [f"Message-ID: <m{n}.{seed}@bench>", f"Date: {when}", f"Subject: {forward}Matter {n % 97}"]
        if style < exchange_share:
            head += [f"From: {frm}", f"To: {', '.join(a for _, a in to)}",
                     f"X-From: {_x_name(sender, frm, rng)}", f"X-To: {', '.join(_x_name(h, a, rng) for h, a in to)}"]
            if cc:
                head += [f"Cc: {', '.join(a for _, a in cc)}", f"X-cc: {', '.join(_x_name(h, a, rng) for h, a in cc)}"]
        elif style < exchange_share + named_share:
            def fmt(h: Human, a: str) -> str:
                name = display(h, rng)
                return f'"{name}" <{a}>' if "," in name else f"{name} <{a}>"
            head += [f"From: {fmt(sender, frm)}", f"To: {', '.join(fmt(h, a) for h, a in to)}"]
            if cc:
                head.append(f"Cc: {', '.join(fmt(h, a) for h, a in cc)}")
        else:
            head += [f"From: {frm}", f"To: {', '.join(a for _, a in to)}"]
            if cc:
                head.append(f"Cc: {', '.join(a for _, a in cc)}")
        out.append("From bench@bench " + when + "\n" + "\n".join(head) + "\n\nSee attached.\n")
    return out, truth


def pairwise(clusters: dict[str, str], truth: dict[str, int]) -> tuple[float, float, int, int]:
    """(precision, recall, true pairs, predicted pairs) over pairs of addresses in ``truth``."""
    def pairs(label: dict) -> set[tuple[str, str]]:
        groups = defaultdict(list)
        for address, who in label.items():
            groups[who].append(address)
        return {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}

    gold, got = pairs(truth), pairs({a: clusters.get(a, a) for a in truth})
    hit = len(gold & got)
    return (hit / len(got) if got else 1.0), (hit / len(gold) if gold else 1.0), len(gold), len(got)


def naive_clusters(humans: list[Human], mbox: list[str]) -> dict[str, str]:
    """The baseline: one person per display name (else per address-derived name)."""
    from email import message_from_string
    from email.utils import getaddresses

    from kith.ingest.identity.names import parse_name
    name_of: dict[str, str] = {}
    for text in mbox:
        msg = message_from_string(text.partition("\n")[2])
        for header in ("from", "to", "cc"):
            for name, address in getaddresses(msg.get_all(header, [])):
                key = parse_name(name, address).full.lower() or address
                name_of.setdefault(address.lower(), key)
    return name_of


def run(seed: int, people: int, count: int, folder: Path) -> dict:
    from kith.graph.settings import Settings
    from kith.graph.sqlite_store import SQLiteStore
    from kith.ingest.email.pipeline import ingest_email

    humans = make_world(seed, people)
    mbox, truth = messages(humans, count, seed)
    path = folder / f"aliases-{seed}.mbox"
    path.write_text("\n".join(mbox), encoding="utf-8")
    db = folder / f"aliases-{seed}.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    settings = Settings(db=db, internal_domains=[FIRM])
    store = SQLiteStore.open(db)
    started = time.perf_counter()
    report = ingest_email(store, settings, [path], workers=1)
    seconds = time.perf_counter() - started
    found = store.people_by_email(list(truth))
    reviews = len(store.review_items(limit=1_000_000))
    store.close()
    p, r, gold, got = pairwise(found, truth)
    np_, nr, _, ngot = pairwise(naive_clusters(humans, mbox), truth)
    return {"seed": seed, "addresses": len(truth), "people": len(set(truth.values())), "true_pairs": gold,
            "kith": (p, r, got), "naive": (np_, nr, ngot), "singletons": (1.0, 0.0, 0), "review": reviews,
            "messages": report.ingested, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=400)
    ap.add_argument("--messages", type=int, default=6000)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--keep", type=Path, help="write the mail and the databases here")
    args = ap.parse_args()
    if not NAMES_CSV.exists():
        sys.exit(f"{NAMES_CSV} is missing: the alias sets are drawn from the shared names corpus.")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kith-bench-identity-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'seed':>4} {'addresses':>9} {'people':>6} {'true pairs':>10}  {'method':<22} {'precision':>9} "
          f"{'recall':>6} {'pairs merged':>12}")
    for seed in (int(s) for s in args.seeds.split(",")):
        res = run(seed, args.people, args.messages, folder)
        for method in ("singletons", "naive", "kith"):
            p, r, got = res[method]
            label = {"singletons": "one person per address", "naive": "same name = same person",
                     "kith": "kith"}[method]
            print(f"{res['seed']:>4} {res['addresses']:>9} {res['people']:>6} {res['true_pairs']:>10}  {label:<22} "
                  f"{p:>9.3f} {r:>6.3f} {got:>12}")
        print(f"{'':>4} review queue: {res['review']} items; {res['messages']} messages ingested in "
              f"{res['seconds']:.1f}s")


if __name__ == "__main__":
    main()
