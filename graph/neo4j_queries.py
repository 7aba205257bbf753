"""Every Cypher statement the Neo4j store sends, in one place so CI can lint them all.

Rules (tested in tests/test_neo4j_queries.py and linted by .ci/lint_cypher.py):
- every public UPPER_CASE str constant of this module is one complete statement;
- values travel only as parameters (``$rows``, ``$ids`` ...): no string literals, no text built at run
  time, no format placeholders;
- writes are batched: ``UNWIND $rows AS row`` then MERGE/CREATE;
- statements return values (scalars, lists, maps, map projections), never nodes or relationships: the
  store takes records as they come, without the driver's per-element conversion.

Model: (:Person)<-[:EMAIL_OF]-(:Email {address}); (:Domain {name})-[:DOMAIN_OF]->(:Organization);
(:Person)-[:WORKS_AT {title}]->(:Organization);
(:Person)-[:PARTICIPATED {role, status, position, address}]->(:Interaction); (:Interaction)-[:ABOUT]->(:Topic);
(:Deal)-[:WITH_ORG]->(:Organization); (:Person)-[:DEAL_ROLE {role}]->(:Deal);
(:Person)-[:KNOWS {gen}]->(:Person) from a to b (a < b); (:Erased {email_hash}); (:Meta {key, value});
(:IdentityEvent {id, kind, person_id, other_id, emails, snapshot (JSON), reason, actor, at, undone_at, undone_by});
(:ReviewItem {id, person_id < other_id, score, reason, created_at, status, resolved_by, resolved_at}).
Integer ids of events and review items come from counters in (:Meta {key}) (see RESERVE_IDS).
Every write statement may read ``$gen``, the generation its transaction makes: a KNOWS edge keeps the
one that last wrote it (``gen``), a person the one when all their edges were last replaced
(``knows_gen``, set on creation too): the change record a network file refreshes from.
Interactions and deals carry ``search_tokens`` (graph.text.index_text, full-text indexed) and
``search_text`` (what a hit shows) when they have searchable text. Times are epoch seconds (int).
"""

# The vocabulary the statements may use (CI lints against it, so a misspelt name fails the build).
LABELS = ("Person", "Email", "Organization", "Domain", "Interaction", "Topic", "Deal", "Erased", "Meta",
          "IdentityEvent", "ReviewItem")
RELATIONSHIP_TYPES = ("EMAIL_OF", "DOMAIN_OF", "WORKS_AT", "PARTICIPATED", "ABOUT", "WITH_ORG", "DEAL_ROLE", "KNOWS")
PROPERTY_KEYS = (
    "id", "name", "given_name", "family_name", "is_internal", "opted_out", "blocked", "sharing", "phones",
    "address", "normalized_name", "title", "since", "until", "kind", "occurred_at", "subject", "body",
    "thread_id", "parent_id", "category", "duration_s", "role", "status", "position", "stage", "amount",
    "currency", "opened_at", "closed_at", "email_hash", "erased_at", "key", "value", "first_at", "last_at",
    "emails_ab", "emails_ba", "email_weight", "meetings", "meeting_weight", "calls", "notes", "replies_ab",
    "replies_ba", "reply_hours_ab", "reply_hours_ba", "search_tokens", "search_text",
    "src_kind", "src", "src_record", "ingested_at",
    "person_id", "other_id", "emails", "snapshot", "reason", "actor", "at", "undone_at", "undone_by",
    "score", "created_at", "resolved_by", "resolved_at", "gen", "knows_gen",
)
# Keys of the parameter rows (``row.person_id``); the linter reads them like property keys.
ROW_KEYS = ("a", "b", "person", "person_id", "org_id", "interaction_id", "deal_id", "topic", "prov", "props", "emails",
            "domains", "other_id", "participants", "topics")

# -- meta ----------------------------------------------------------------------------------------
GET_META = """
MATCH (m:Meta {key: $key})
RETURN m.value AS value
"""

# row: {key, value}
SET_META = """
UNWIND $rows AS row
MERGE (m:Meta {key: row.key})
SET m.value = row.value
"""

# Run first in every write transaction ($key is the generation key): it write-locks the counter, so
# writers take turns and the generation it returns is the one this transaction's changes carry.
BUMP_GENERATION = """
MERGE (m:Meta {key: $key})
SET m.value = toString(coalesce(toInteger(m.value), 0) + 1)
RETURN toInteger(m.value) AS gen
"""

# Reserve $count consecutive integer ids from the counter $key; returns the last (ids last-count+1..last).
# The right-hand side reads m.value, so Cypher write-locks m first: concurrent writers never share an id.
RESERVE_IDS = """
MERGE (m:Meta {key: $key})
SET m.value = toString(coalesce(toInteger(m.value), 0) + $count)
RETURN toInteger(m.value) AS last
"""

# -- people --------------------------------------------------------------------------------------
# row: {id, name, given_name, family_name, is_internal, opted_out, blocked, sharing, phones: [..],
#       emails: [..], prov: {src_kind, src, src_record, ingested_at}}
# An existing person keeps its non-empty names and flags; new phones are appended; an address
# already known (for anyone) is left where it is.
UPSERT_PEOPLE = """
UNWIND $rows AS row
MERGE (p:Person {id: row.id})
ON CREATE SET
  p += row.prov,
  p.name = row.name,
  p.given_name = row.given_name,
  p.family_name = row.family_name,
  p.is_internal = row.is_internal,
  p.opted_out = row.opted_out,
  p.blocked = row.blocked,
  p.sharing = row.sharing,
  p.phones = [],
  p.knows_gen = $gen
ON MATCH SET
  p.name = CASE WHEN p.name IS NULL OR size(p.name) = 0 THEN row.name ELSE p.name END,
  p.given_name = CASE WHEN p.given_name IS NULL OR size(p.given_name) = 0 THEN row.given_name ELSE p.given_name END,
  p.family_name = CASE WHEN p.family_name IS NULL OR size(p.family_name) = 0 THEN row.family_name ELSE p.family_name END,
  p.is_internal = p.is_internal OR row.is_internal
SET p.phones = coalesce(p.phones, []) + [phone IN row.phones WHERE NOT phone IN coalesce(p.phones, [])]
WITH p, row
UNWIND row.emails AS address
MERGE (e:Email {address: address})
ON CREATE SET e += row.prov
WITH p, e
WHERE NOT EXISTS { (e)-[:EMAIL_OF]->(:Person) }
CREATE (e)-[:EMAIL_OF]->(p)
"""

# Returns no row for an unknown id. A null parameter leaves that flag as it is.
UPDATE_PERSON = """
MATCH (p:Person {id: $id})
SET
  p.opted_out = coalesce($opted_out, p.opted_out),
  p.blocked = coalesce($blocked, p.blocked),
  p.sharing = coalesce($sharing, p.sharing),
  p.is_internal = coalesce($is_internal, p.is_internal)
RETURN p.id AS id
"""

GET_PEOPLE = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
RETURN p {.*} AS person,
  [(e:Email)-[:EMAIL_OF]->(p) | e {.address, .ingested_at}] AS emails
"""

# Everyone, in id order (streamed).
ALL_PEOPLE = """
MATCH (p:Person)
RETURN p {.*} AS person,
  [(e:Email)-[:EMAIL_OF]->(p) | e {.address, .ingested_at}] AS emails
ORDER BY p.id
"""

PEOPLE_AT_DOMAINS = """
UNWIND $suffixes AS suffix
MATCH (e:Email)-[:EMAIL_OF]->(p:Person)
WHERE e.address ENDS WITH suffix
RETURN DISTINCT p.id AS person_id
"""

PEOPLE_BY_EMAIL = """
UNWIND $emails AS address
MATCH (e:Email {address: address})-[:EMAIL_OF]->(p:Person)
RETURN e.address AS email, p.id AS person_id
"""

# -- erasure -------------------------------------------------------------------------------------
ERASE_LOOKUP = """
MATCH (p:Person {id: $id})
RETURN
  [(e:Email)-[:EMAIL_OF]->(p) | e.address] AS emails,
  [(p)-[:PARTICIPATED]->(i:Interaction) | i.id] AS touched,
  [(p)-[r:PARTICIPATED]->(i:Interaction) WHERE r.role = $subject_role | i.id] AS subject_of,
  size([(p)-[:KNOWS]-(:Person) | 1]) AS knows
"""

RECORD_ERASED = """
UNWIND $hashes AS hash
MERGE (x:Erased {email_hash: hash})
ON CREATE SET x.erased_at = $now
"""

DELETE_PERSON = """
MATCH (p:Person {id: $id})
OPTIONAL MATCH (e:Email)-[:EMAIL_OF]->(p)
DETACH DELETE e, p
"""

# Of these interactions, those left with fewer than two people.
UNDERPOPULATED_INTERACTIONS = """
UNWIND $ids AS id
MATCH (i:Interaction {id: id})
OPTIONAL MATCH (q:Person)-[:PARTICIPATED]->(i)
WITH i, count(DISTINCT q) AS people
WHERE people < 2
RETURN i.id AS id
"""

# The people who took part in these interactions (before remove_interactions deletes them).
PARTICIPANTS_OF = """
UNWIND $ids AS id
MATCH (p:Person)-[:PARTICIPATED]->(:Interaction {id: id})
RETURN DISTINCT p.id AS person_id
"""

DELETE_INTERACTIONS = """
UNWIND $ids AS id
MATCH (i:Interaction {id: id})
DETACH DELETE i
"""

ERASED_HASHES = """
UNWIND $hashes AS hash
MATCH (x:Erased {email_hash: hash})
RETURN x.email_hash AS email_hash
"""

# -- organizations -------------------------------------------------------------------------------
# row: {id, name, normalized_name, name_guessed, domains: [..], prov: {..}}; known organizations and
# domains stay, and a written name replaces one guessed from a domain.
UPSERT_ORGANIZATIONS = """
UNWIND $rows AS row
MERGE (o:Organization {id: row.id})
ON CREATE SET o += row.prov, o.name = row.name, o.normalized_name = row.normalized_name,
  o.name_guessed = row.name_guessed
ON MATCH SET o.name = CASE WHEN o.name_guessed AND NOT row.name_guessed THEN row.name ELSE o.name END,
  o.name_guessed = coalesce(o.name_guessed, false) AND row.name_guessed
WITH o, row
UNWIND row.domains AS name
MERGE (d:Domain {name: name})
ON CREATE SET d += row.prov
WITH o, d
WHERE NOT EXISTS { (d)-[:DOMAIN_OF]->(:Organization) }
CREATE (d)-[:DOMAIN_OF]->(o)
"""

GET_ORGANIZATIONS = """
UNWIND $ids AS id
MATCH (o:Organization {id: id})
RETURN o {.*} AS org, [(d:Domain)-[:DOMAIN_OF]->(o) | d.name] AS domains
"""

ALL_ORGANIZATIONS = """
MATCH (o:Organization)
RETURN o {.*} AS org, [(d:Domain)-[:DOMAIN_OF]->(o) | d.name] AS domains
ORDER BY o.id
"""

ORGS_BY_DOMAIN = """
UNWIND $domains AS name
MATCH (d:Domain {name: name})-[:DOMAIN_OF]->(o:Organization)
RETURN d.name AS domain, o.id AS org_id
"""

ORGS_BY_NORMALIZED_NAME = """
UNWIND $names AS name
MATCH (o:Organization {normalized_name: name})
RETURN name AS normalized_name, min(o.id) AS org_id
"""

# -- employment ----------------------------------------------------------------------------------
# row: {person_id, org_id, title, since, until, prov: {..}}; an existing period only widens.
ADD_WORKS_AT = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person_id})
MATCH (o:Organization {id: row.org_id})
MERGE (p)-[w:WORKS_AT {title: row.title}]->(o)
ON CREATE SET w += row.prov, w.since = row.since, w.until = row.until
ON MATCH SET
  w.since = CASE WHEN w.since IS NULL OR row.since < w.since THEN row.since ELSE w.since END,
  w.until = CASE WHEN w.until IS NULL OR row.until > w.until THEN row.until ELSE w.until END
"""

WORKS_AT = """
UNWIND $person_ids AS pid
MATCH (p:Person {id: pid})-[w:WORKS_AT]->(o:Organization)
RETURN p.id AS person_id, o.id AS org_id, w {.*} AS works
UNION
UNWIND $org_ids AS oid
MATCH (p:Person)-[w:WORKS_AT]->(o:Organization {id: oid})
RETURN p.id AS person_id, o.id AS org_id, w {.*} AS works
"""

# -- interactions --------------------------------------------------------------------------------
EXISTING_INTERACTIONS = """
UNWIND $ids AS id
MATCH (i:Interaction {id: id})
RETURN i.id AS id
"""

# The distinct person ids of a write's rows ($people) looked up once each, as `people`: people[n][0] is the
# node of the n-th (null when there is none), and a row names its people by position.
_people_by_position = """
CALL () {
  UNWIND $people AS id
  OPTIONAL MATCH (p:Person {id: id})
  RETURN collect([p]) AS people
}"""

# $people, $topics: the distinct person ids and topics of the rows. row: {props: {id, kind, occurred_at, subject,
#       body, thread_id, parent_id, category, duration_s, src_kind, src, src_record, ingested_at, search_tokens,
#       search_text}, participants: [{person, role, status, position, address}], topics: [..]}, where a
#       participant's person and a row's topics are positions in $people and $topics: each person and topic is
#       looked up once per statement, not once per edge (two thirds of the index seeks of an ingest).
# Only for ids not stored yet (EXISTING_INTERACTIONS first), with one participant per (person, role):
# the edges of a new node are CREATEd, found through the node itself rather than looked up again.
CREATE_INTERACTIONS = _people_by_position + """
CALL () {
  UNWIND $topics AS name
  MERGE (t:Topic {name: name})
  RETURN collect(t) AS topics
}
UNWIND $rows AS row
CREATE (i:Interaction)
SET i = row.props
WITH i, row, people, topics
CALL (i, row, people) {
  UNWIND row.participants AS one
  WITH i, one, people[one.person][0] AS p
  WHERE p IS NOT NULL
  CREATE (p)-[:PARTICIPATED {role: one.role, status: one.status, position: one.position, address: one.address}]->(i)
}
CALL (i, row, topics) {
  UNWIND row.topics AS n
  WITH i, topics[n] AS t
  CREATE (i)-[:ABOUT]->(t)
}
"""

# $people: the distinct person ids of the rows; row: {a, b, first_at, last_at, <every KNOWS_COUNTERS field>},
# a and b positions in $people (looked up once each): counters add, times widen.
MERGE_KNOWS = _people_by_position + """
UNWIND $rows AS row
WITH row, people[row.a][0] AS a, people[row.b][0] AS b
WHERE a IS NOT NULL AND b IS NOT NULL
MERGE (a)-[k:KNOWS]->(b)
ON CREATE SET
  k.first_at = row.first_at,
  k.last_at = row.last_at,
  k.emails_ab = row.emails_ab,
  k.emails_ba = row.emails_ba,
  k.email_weight = row.email_weight,
  k.meetings = row.meetings,
  k.meeting_weight = row.meeting_weight,
  k.calls = row.calls,
  k.notes = row.notes,
  k.replies_ab = row.replies_ab,
  k.replies_ba = row.replies_ba,
  k.reply_hours_ab = row.reply_hours_ab,
  k.reply_hours_ba = row.reply_hours_ba
ON MATCH SET
  k.first_at = CASE WHEN k.first_at IS NULL OR row.first_at < k.first_at THEN row.first_at ELSE k.first_at END,
  k.last_at = CASE WHEN k.last_at IS NULL OR row.last_at > k.last_at THEN row.last_at ELSE k.last_at END,
  k.emails_ab = k.emails_ab + row.emails_ab,
  k.emails_ba = k.emails_ba + row.emails_ba,
  k.email_weight = k.email_weight + row.email_weight,
  k.meetings = k.meetings + row.meetings,
  k.meeting_weight = k.meeting_weight + row.meeting_weight,
  k.calls = k.calls + row.calls,
  k.notes = k.notes + row.notes,
  k.replies_ab = k.replies_ab + row.replies_ab,
  k.replies_ba = k.replies_ba + row.replies_ba,
  k.reply_hours_ab = k.reply_hours_ab + row.reply_hours_ab,
  k.reply_hours_ba = k.reply_hours_ba + row.reply_hours_ba
SET k.gen = $gen
"""

# What an Interaction is read from (graph.neo4j_store._interaction): its properties but the search fields,
# the largest part of a message node, which only text search reads.
_interaction_props = ("i {.id, .kind, .occurred_at, .subject, .body, .thread_id, .parent_id, .category, "
                      ".duration_s, .src_kind, .src, .src_record, .ingested_at}")

GET_INTERACTIONS = """
UNWIND $ids AS id
MATCH (i:Interaction {id: id})
RETURN """ + _interaction_props + """ AS interaction,
  [(p:Person)-[r:PARTICIPATED]->(i) |
    {person_id: p.id, role: r.role, status: r.status, position: r.position, address: r.address}] AS participants,
  [(i)-[:ABOUT]->(t:Topic) | t.name] AS topics
"""

# Stored interactions replying to any of these ids.
REPLIES_TO = """
UNWIND $ids AS id
MATCH (i:Interaction {parent_id: id})
RETURN i.id AS id
"""

# Newest first, unknown times last. $before may be null; $limit is always set.
INTERACTIONS_OF = """
MATCH (:Person {id: $person_id})-[:PARTICIPATED]->(i:Interaction)
WHERE $before IS NULL OR i.occurred_at < $before
WITH DISTINCT i
RETURN i.id AS id
ORDER BY i.occurred_at IS NULL, i.occurred_at DESC, id
LIMIT $limit
"""

# The interactions each pair [a, b] of $pairs took part in together, newest first (undated last), at most
# $limit per pair (null: all), whole (as GET_INTERACTIONS), each with its pair n and its position pos in
# that order: one round trip, not one for the ids and one for the interactions. Pairs with none: no row.
INTERACTIONS_BETWEEN = """
UNWIND range(0, size($pairs) - 1) AS n
MATCH (:Person {id: $pairs[n][0]})-[:PARTICIPATED]->(i:Interaction)<-[:PARTICIPATED]-(:Person {id: $pairs[n][1]})
WHERE $before IS NULL OR i.occurred_at < $before
WITH DISTINCT n, i
ORDER BY n, i.occurred_at IS NULL, i.occurred_at DESC, i.id
WITH n, collect(i) AS found
WITH n, CASE WHEN $limit IS NULL THEN found ELSE found[..$limit] END AS kept
UNWIND range(0, size(kept) - 1) AS pos
WITH n, pos, kept[pos] AS i
RETURN n, pos, """ + _interaction_props + """ AS interaction,
  [(p:Person)-[r:PARTICIPATED]->(i) |
    {person_id: p.id, role: r.role, status: r.status, position: r.position, address: r.address}] AS participants,
  [(i)-[:ABOUT]->(t:Topic) | t.name] AS topics
"""

# What graph.paths explains paths with, in one statement: the store's generation (the (:Meta) $key, read
# first: what graph.paths checks its network against), the people of $ids with their addresses and
# jobs (each with its organisation and domains), and, for each pair [a, b] of $pairs, the interactions
# both took part in before $before (null: all), newest first (undated last), at most $limit (null: all),
# each with its position r in that order.
PATH_FACTS = """
CALL () {
  OPTIONAL MATCH (m:Meta {key: $key})
  RETURN m.value AS generation
}
CALL () {
  UNWIND $ids AS id
  MATCH (p:Person {id: id})
  RETURN collect({person: p {.*},
    emails: [(e:Email)-[:EMAIL_OF]->(p) | e {.address, .ingested_at}],
    jobs: CASE WHEN id IN $titled THEN [(p)-[w:WORKS_AT]->(o:Organization) |
      {works: w {.*}, org: o {.*}, domains: [(d:Domain)-[:DOMAIN_OF]->(o) | d.name]}] ELSE [] END}) AS people
}
CALL () {
  UNWIND range(0, size($pairs) - 1) AS n
  MATCH (:Person {id: $pairs[n][0]})-[:PARTICIPATED]->(i:Interaction)<-[:PARTICIPATED]-(:Person {id: $pairs[n][1]})
  WHERE $before IS NULL OR i.occurred_at < $before
  WITH DISTINCT n, i
  ORDER BY n, i.occurred_at IS NULL, i.occurred_at DESC, i.id
  WITH n, collect(i) AS found
  WITH n, CASE WHEN $limit IS NULL THEN found ELSE found[..$limit] END AS kept
  UNWIND range(0, size(kept) - 1) AS r
  WITH n, r, kept[r] AS i
  RETURN collect({n: n, r: r, id: i.id, kind: i.kind, occurred_at: i.occurred_at,
    people: [(p:Person)-[:PARTICIPATED]->(i) | p.id]}) AS shared
}
RETURN generation, people, shared
"""

# -- deals ---------------------------------------------------------------------------------------
# row: {id, org_id, prov: {..}, props: {name, stage, status, amount, currency, opened_at, closed_at,
#       search_tokens, search_text}}; a re-import overwrites everything but provenance (nulls remove).
UPSERT_DEALS = """
UNWIND $rows AS row
MERGE (d:Deal {id: row.id})
ON CREATE SET d += row.prov
SET d += row.props
WITH d, row
OPTIONAL MATCH (d)-[old:WITH_ORG]->(:Organization)
DELETE old
WITH DISTINCT d, row
MATCH (o:Organization {id: row.org_id})
MERGE (d)-[:WITH_ORG]->(o)
"""

# row: {deal_id, person_id, role}
ADD_DEAL_ROLES = """
UNWIND $rows AS row
MATCH (d:Deal {id: row.deal_id})
MATCH (p:Person {id: row.person_id})
MERGE (p)-[:DEAL_ROLE {role: row.role}]->(d)
"""

GET_DEALS = """
UNWIND $ids AS id
MATCH (d:Deal {id: id})
RETURN d {.*} AS deal,
  [(d)-[:WITH_ORG]->(o:Organization) | o.id] AS org_ids,
  [(p:Person)-[r:DEAL_ROLE]->(d) | {person_id: p.id, role: r.role}] AS roles
"""

DEALS_OF = """
UNWIND $person_ids AS pid
MATCH (:Person {id: pid})-[:DEAL_ROLE]->(d:Deal)
RETURN d.id AS id
UNION
UNWIND $org_ids AS oid
MATCH (d:Deal)-[:WITH_ORG]->(:Organization {id: oid})
RETURN d.id AS id
"""

# -- KNOWS ---------------------------------------------------------------------------------------
KNOWS_OF = """
UNWIND $ids AS id
MATCH (:Person {id: id})-[k:KNOWS]-(:Person)
WITH DISTINCT k
MATCH (a:Person)-[k]->(b:Person)
RETURN a.id AS a, b.id AS b, properties(k) AS knows
"""

# The whole network in one streaming read: a row per $people people (the driver's work per row, not the
# values, was half the client's CPU with a row per person), each person's KNOWS edges (it is `a` of) as a
# list per column. Each edge's properties are read once (properties(k): a chain walk per edge, not one per
# property; 13 k.x reads took 1.5x the server CPU). A counter that is zero on all of a person's edges comes
# as [], not a zero per edge. An unknown time comes as NaN (0.0 / 0.0): collect() drops nulls. Collecting the
# people first holds only node references; collecting their rows (an earlier query) took 2.5x the server CPU.
# Each edge's far end as its node's element id (elementId(b)), mapped to a person id by the client from
# the people's own (a_element): b.id, a property read, took 0.6 us an edge. At 2M edges (server CPU ~8.4 s
# with b.id, ~4 us an edge): the traversal 0.4 us, properties(k) 1.3, the values' collect and Bolt the rest.
# No gain from a page cache holding the store (256 MiB is as fast), and each person's edges as array
# properties on the node took 1.4x the server CPU to read (issue #15).
ALL_KNOWS = """
MATCH (p:Person)
WITH collect(p) AS people
UNWIND range(0, size(people) - 1, $people) AS start
CALL (people, start) {
  UNWIND people[start..start + $people] AS a
  CALL (a) {
    MATCH (a)-[k:KNOWS]->(b:Person)
    WITH b, properties(k) AS m
    RETURN collect(elementId(b)) AS b,
      collect(coalesce(m.first_at, 0.0 / 0.0)) AS first_at,
      collect(coalesce(m.last_at, 0.0 / 0.0)) AS last_at,
      collect(coalesce(m.emails_ab, 0.0)) AS emails_ab,
      collect(coalesce(m.emails_ba, 0.0)) AS emails_ba,
      collect(coalesce(m.email_weight, 0.0)) AS email_weight,
      collect(coalesce(m.meetings, 0.0)) AS meetings,
      collect(coalesce(m.meeting_weight, 0.0)) AS meeting_weight,
      collect(coalesce(m.calls, 0.0)) AS calls,
      collect(coalesce(m.notes, 0.0)) AS notes,
      collect(coalesce(m.replies_ab, 0.0)) AS replies_ab,
      collect(coalesce(m.replies_ba, 0.0)) AS replies_ba,
      collect(coalesce(m.reply_hours_ab, 0.0)) AS reply_hours_ab,
      collect(coalesce(m.reply_hours_ba, 0.0)) AS reply_hours_ba
  }
  RETURN collect(a.id) AS a, collect(elementId(a)) AS a_element, collect(b) AS b, collect(first_at) AS first_at,
    collect(last_at) AS last_at,
    collect(CASE WHEN any(x IN emails_ab WHERE x <> 0.0) THEN emails_ab ELSE [] END) AS emails_ab,
    collect(CASE WHEN any(x IN emails_ba WHERE x <> 0.0) THEN emails_ba ELSE [] END) AS emails_ba,
    collect(CASE WHEN any(x IN email_weight WHERE x <> 0.0) THEN email_weight ELSE [] END) AS email_weight,
    collect(CASE WHEN any(x IN meetings WHERE x <> 0.0) THEN meetings ELSE [] END) AS meetings,
    collect(CASE WHEN any(x IN meeting_weight WHERE x <> 0.0) THEN meeting_weight ELSE [] END) AS meeting_weight,
    collect(CASE WHEN any(x IN calls WHERE x <> 0.0) THEN calls ELSE [] END) AS calls,
    collect(CASE WHEN any(x IN notes WHERE x <> 0.0) THEN notes ELSE [] END) AS notes,
    collect(CASE WHEN any(x IN replies_ab WHERE x <> 0.0) THEN replies_ab ELSE [] END) AS replies_ab,
    collect(CASE WHEN any(x IN replies_ba WHERE x <> 0.0) THEN replies_ba ELSE [] END) AS replies_ba,
    collect(CASE WHEN any(x IN reply_hours_ab WHERE x <> 0.0) THEN reply_hours_ab ELSE [] END) AS reply_hours_ab,
    collect(CASE WHEN any(x IN reply_hours_ba WHERE x <> 0.0) THEN reply_hours_ba ELSE [] END) AS reply_hours_ba
}
RETURN a, a_element, b, first_at, last_at, emails_ab, emails_ba, email_weight, meetings, meeting_weight, calls,
  notes, replies_ab, replies_ba, reply_hours_ab, reply_hours_ba
"""

# Every person's id and flags, as columns of $batch people at a time (graph.network).
PERSON_FLAGS = """
MATCH (p:Person)
WITH collect([p.id, coalesce(p.is_internal, false),
  NOT (coalesce(p.opted_out, false) OR coalesce(p.blocked, false))]) AS rows
UNWIND range(0, size(rows) - 1, $batch) AS start
WITH rows[start..start + $batch] AS part
RETURN [r IN part | r[0]] AS id, [r IN part | r[1]] AS internal, [r IN part | r[2]] AS usable
"""

# Every KNOWS edge touching these people (replace_knows then writes the new ones with MERGE_KNOWS).
DELETE_KNOWS_OF = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
SET p.knows_gen = $gen
WITH p
MATCH (p)-[k:KNOWS]-(:Person)
WITH DISTINCT k
DELETE k
"""

# The KNOWS edges written after generation $since (indexed), one row each: a network file's refresh.
KNOWS_SINCE = """
MATCH (a:Person)-[k:KNOWS]->(b:Person)
WHERE k.gen > $since
RETURN a.id AS a, b.id AS b, k.first_at AS first_at, k.last_at AS last_at,
  coalesce(k.emails_ab, 0.0) AS emails_ab,
  coalesce(k.emails_ba, 0.0) AS emails_ba,
  coalesce(k.email_weight, 0.0) AS email_weight,
  coalesce(k.meetings, 0.0) AS meetings,
  coalesce(k.meeting_weight, 0.0) AS meeting_weight,
  coalesce(k.calls, 0.0) AS calls,
  coalesce(k.notes, 0.0) AS notes,
  coalesce(k.replies_ab, 0.0) AS replies_ab,
  coalesce(k.replies_ba, 0.0) AS replies_ba,
  coalesce(k.reply_hours_ab, 0.0) AS reply_hours_ab,
  coalesce(k.reply_hours_ba, 0.0) AS reply_hours_ba
"""

# People all of whose KNOWS edges were replaced (or who are new) after generation $since (indexed).
KNOWS_REPLACED_SINCE = """
MATCH (p:Person)
WHERE p.knows_gen > $since
RETURN p.id AS id
"""

# -- identity: merges and splits -----------------------------------------------------------------
# Both people (null when unknown) and the interactions $from_id took part in: all of them for a merge
# ($emails null), else those it took part in through one of $emails (a split). Always one row.
REASSIGN_LOOKUP = """
OPTIONAL MATCH (f:Person {id: $from_id})
OPTIONAL MATCH (t:Person {id: $to_id})
OPTIONAL MATCH (f)-[r:PARTICIPATED]->(i:Interaction)
WHERE $emails IS NULL OR r.address IN $emails
RETURN f.id AS from_id, t.id AS to_id, collect(DISTINCT i.id) AS touched
"""

# A merge: the kept person fills empty names from the other, keeps an opt-out, block or internal flag
# either had, and gains the other's phones.
MERGE_PERSON_FIELDS = """
MATCH (f:Person {id: $from_id})
MATCH (t:Person {id: $to_id})
SET
  t.name = CASE WHEN t.name IS NULL OR size(t.name) = 0 THEN f.name ELSE t.name END,
  t.given_name = CASE WHEN t.given_name IS NULL OR size(t.given_name) = 0 THEN f.given_name ELSE t.given_name END,
  t.family_name = CASE WHEN t.family_name IS NULL OR size(t.family_name) = 0 THEN f.family_name ELSE t.family_name END,
  t.opted_out = coalesce(t.opted_out, false) OR coalesce(f.opted_out, false),
  t.blocked = coalesce(t.blocked, false) OR coalesce(f.blocked, false),
  t.is_internal = coalesce(t.is_internal, false) OR coalesce(f.is_internal, false),
  t.phones = coalesce(t.phones, []) + [phone IN coalesce(f.phones, []) WHERE NOT phone IN coalesce(t.phones, [])]
"""

# All of $from_id's addresses ($emails null, a merge) or those of $emails (a split) become $to_id's.
MOVE_EMAILS = """
MATCH (f:Person {id: $from_id})
MATCH (t:Person {id: $to_id})
MATCH (e:Email)-[old:EMAIL_OF]->(f)
WHERE $emails IS NULL OR e.address IN $emails
DELETE old
CREATE (e)-[:EMAIL_OF]->(t)
"""

# Participations (all, or those made through $emails) move with their role, status, position and
# address; one whose (interaction, role) $to_id already holds stays where it is (a merge then deletes it).
MOVE_PARTICIPATIONS = """
MATCH (f:Person {id: $from_id})-[r:PARTICIPATED]->(i:Interaction)
WHERE $emails IS NULL OR r.address IN $emails
MATCH (t:Person {id: $to_id})
WHERE NOT EXISTS { (t)-[held:PARTICIPATED]->(i) WHERE held.role = r.role }
CREATE (t)-[moved:PARTICIPATED]->(i)
SET moved = properties(r)
DELETE r
"""

# A merge: employment periods move; one the kept person already has (same org and title) widens.
MOVE_WORKS_AT = """
MATCH (f:Person {id: $from_id})-[w:WORKS_AT]->(o:Organization)
MATCH (t:Person {id: $to_id})
MERGE (t)-[kept:WORKS_AT {title: w.title}]->(o)
ON CREATE SET kept = properties(w)
ON MATCH SET
  kept.since = CASE WHEN kept.since IS NULL OR w.since < kept.since THEN w.since ELSE kept.since END,
  kept.until = CASE WHEN kept.until IS NULL OR w.until > kept.until THEN w.until ELSE kept.until END
"""

# A merge: deal roles move (DELETE_PERSON then removes the other person and its KNOWS edges).
MOVE_DEAL_ROLES = """
MATCH (f:Person {id: $from_id})-[r:DEAL_ROLE]->(d:Deal)
MATCH (t:Person {id: $to_id})
MERGE (t)-[:DEAL_ROLE {role: r.role}]->(d)
"""

# -- identity: events and the review queue -------------------------------------------------------
# $id from RESERVE_IDS; $emails a list of addresses, $snapshot a JSON object.
ADD_IDENTITY_EVENT = """
CREATE (e:IdentityEvent {
  id: $id, kind: $kind, person_id: $person_id, other_id: $other_id, emails: $emails, snapshot: $snapshot,
  reason: $reason, actor: $actor, at: $at, undone_by: $undone_by
})
"""

# Returns no row for an unknown id or one already undone.
MARK_IDENTITY_EVENT_UNDONE = """
MATCH (e:IdentityEvent {id: $id})
WHERE e.undone_at IS NULL
SET e.undone_at = $at, e.undone_by = $actor
RETURN e.id AS id
"""

IDENTITY_EVENTS = """
UNWIND $person_ids AS pid
MATCH (e:IdentityEvent {person_id: pid})
RETURN e {.*} AS event
UNION
UNWIND $person_ids AS pid
MATCH (e:IdentityEvent {other_id: pid})
RETURN e {.*} AS event
UNION
UNWIND $event_ids AS eid
MATCH (e:IdentityEvent {id: eid})
RETURN e {.*} AS event
"""

# row: {person_id, other_id} with person_id < other_id.
EXISTING_REVIEW_ITEMS = """
UNWIND $rows AS row
MATCH (r:ReviewItem {person_id: row.person_id, other_id: row.other_id})
RETURN r.person_id AS person_id, r.other_id AS other_id
"""

# row: {id (from RESERVE_IDS), person_id < other_id, score, reason, created_at, status, resolved_by};
# a pair already queued is left as it is. Returns how many were added.
ADD_REVIEW_ITEMS = """
UNWIND $rows AS row
MERGE (r:ReviewItem {person_id: row.person_id, other_id: row.other_id})
ON CREATE SET
  r.id = row.id,
  r.score = row.score,
  r.reason = row.reason,
  r.created_at = row.created_at,
  r.status = row.status,
  r.resolved_by = row.resolved_by
RETURN count(CASE WHEN r.id = row.id THEN 1 END) AS added
"""

# Returns no row for an unknown id.
SET_REVIEW_STATUS = """
MATCH (r:ReviewItem {id: $id})
SET r.status = $status, r.resolved_by = $actor, r.resolved_at = $at
RETURN r.id AS id
"""

# Best score first; $status null means every status. $limit is always set.
REVIEW_ITEMS = """
MATCH (r:ReviewItem)
WHERE $status IS NULL OR r.status = $status
RETURN r {.*} AS item
ORDER BY r.score DESC, r.id
LIMIT $limit
"""

# -- search --------------------------------------------------------------------------------------
# A migration re-tokenises every document (graph.text.index_text changed): pages of kept text by id.
SEARCH_TEXTS = """
MATCH (n:Interaction|Deal)
WHERE n.search_text IS NOT NULL AND n.id > $after
RETURN n.id AS id, n.search_text AS text
ORDER BY n.id
LIMIT $limit
"""

# $rows: [{id, text, tokens}]: a document's kept text and its tokens, as they are elsewhere (a re-tokenise,
# or `kith migrate` copying SQLite's indexed text as it stands).
SET_SEARCH = """
UNWIND $rows AS row
MATCH (n:Interaction|Deal {id: row.id})
SET n.search_text = row.text, n.search_tokens = row.tokens
"""

# $index is the full-text index of schema.cypher; $query the OR-joined quoted phrases. The index is
# eventually consistent: the search first waits until the updates of every committed write are in it.
SEARCH_TEXT = """
CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()
CALL db.index.fulltext.queryNodes($index, $query) YIELD node, score
WITH node, score, CASE WHEN node:Deal THEN node.opened_at ELSE node.occurred_at END AS occurred_at
WHERE $before IS NULL OR occurred_at < $before
RETURN node.id AS doc_id, node:Deal AS is_deal, node.kind AS kind, occurred_at, node.search_text AS text, score
ORDER BY score DESC, doc_id
LIMIT $limit
"""

# -- counts and maintenance ----------------------------------------------------------------------
COUNTS = """
RETURN
  COUNT { MATCH (:Person) } AS people,
  COUNT { MATCH (:Organization) } AS organizations,
  COUNT { MATCH (:Interaction) } AS interactions,
  COUNT { MATCH (:Deal) } AS deals,
  COUNT { MATCH (:Person)-[:KNOWS]->(:Person) } AS knows,
  COUNT { MATCH (:Person)-[:WORKS_AT]->(:Organization) } AS works_at,
  COUNT { MATCH (t:Topic) WHERE EXISTS { (:Interaction)-[:ABOUT]->(t) } } AS topics
"""

# Whether the full-text index $index is eventually consistent (no row: there is none); migrate drops one
# made before it was (schema version < 4), and schema.cypher makes it again.
DOCUMENTS_INDEX_EVENTUAL = """
SHOW FULLTEXT INDEXES YIELD name, options
WHERE name = $index
RETURN options.indexConfig.`fulltext.eventually_consistent` AS eventual
"""

DROP_INDEX = """
DROP INDEX $index IF EXISTS
"""

# After schema.cypher: wait until new indexes are online (a populating full-text index cannot be queried).
AWAIT_INDEXES = """
CALL db.awaitIndexes($seconds)
"""

# Tests only: delete up to $batch relationships, then (once none is left) up to $batch nodes; run each
# until it reports 0. Edges first: a node-count batch of DETACH DELETE holds every edge of its nodes in
# one transaction, and on dense data (a person with 10^5 KNOWS) that passed the transaction memory limit,
# on the same first nodes at every retry.
WIPE_EDGES = """
MATCH ()-[r]->()
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted
"""

WIPE_BATCH = """
MATCH (n)
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
"""


# -- copying a SQLite store in (graph.migrate): values and ids are set as they are, so a repeat changes nothing
# row: {a, b, props: {first_at, last_at, counters}}
PUT_KNOWS = """
UNWIND $rows AS row
MATCH (a:Person {id: row.a})
MATCH (b:Person {id: row.b})
MERGE (a)-[k:KNOWS]->(b)
SET k += row.props, k.gen = $gen
"""

# row: {id, kind, person_id, other_id, emails, snapshot (JSON), reason, actor, at, undone_at, undone_by}
PUT_IDENTITY_EVENTS = """
UNWIND $rows AS row
MERGE (e:IdentityEvent {id: row.id})
SET e += row
"""

# row: {id, person_id < other_id, score, reason, created_at, status, resolved_by, resolved_at}
PUT_REVIEW_ITEMS = """
UNWIND $rows AS row
MERGE (r:ReviewItem {id: row.id})
SET r += row
"""

# row: {email_hash, erased_at}
PUT_ERASED = """
UNWIND $rows AS row
MERGE (x:Erased {email_hash: row.email_hash})
SET x.erased_at = row.erased_at
"""

COUNT_RECORDS = """
MATCH (n)
WHERE n:IdentityEvent OR n:ReviewItem OR n:Erased
RETURN labels(n)[0] AS label, count(*) AS n
"""


def split_statements(script: str) -> list[str]:
    """The ';'-separated statements of a Cypher script such as schema.cypher, without // comment lines.
    (Our scripts hold no ';' inside strings.)"""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("//")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
