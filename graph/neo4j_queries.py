"""Every Cypher statement the Neo4j store sends, in one place so CI can lint them all.

Rules (tested in tests/test_neo4j_queries.py and linted by .ci/lint_cypher.py):
- every public UPPER_CASE str constant of this module is one complete statement;
- values travel only as parameters (``$rows``, ``$ids`` ...): no string literals, no text built at run
  time, no format placeholders;
- writes are batched: ``UNWIND $rows AS row`` then MERGE/CREATE.

Model: (:Person)<-[:EMAIL_OF]-(:Email {address}); (:Domain {name})-[:DOMAIN_OF]->(:Organization);
(:Person)-[:WORKS_AT {title}]->(:Organization); (:Person)-[:PARTICIPATED {role}]->(:Interaction);
(:Interaction)-[:ABOUT]->(:Topic); (:Deal)-[:WITH_ORG]->(:Organization); (:Person)-[:DEAL_ROLE {role}]->(:Deal);
(:Person)-[:KNOWS]->(:Person) from a to b (a < b); (:Erased {email_hash}); (:Meta {key, value}).
Interactions and deals carry ``search_tokens`` (graph.text.index_text, full-text indexed) and
``search_text`` (what a hit shows) when they have searchable text. Times are epoch seconds (int).
"""

# -- meta ----------------------------------------------------------------------------------------
GET_META = """
MATCH (m:Meta {key: $key})
RETURN m.value AS value
"""

SET_META = """
MERGE (m:Meta {key: $key})
SET m.value = $value
"""

# Run at the end of every write transaction ($key is the generation key).
BUMP_GENERATION = """
MERGE (m:Meta {key: $key})
SET m.value = toString(coalesce(toInteger(m.value), 0) + 1)
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
  p.phones = []
ON MATCH SET
  p.name = CASE WHEN p.name = '' THEN row.name ELSE p.name END,
  p.given_name = CASE WHEN p.given_name = '' THEN row.given_name ELSE p.given_name END,
  p.family_name = CASE WHEN p.family_name = '' THEN row.family_name ELSE p.family_name END,
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
# row: {id, name, normalized_name, domains: [..], prov: {..}}; known organizations and domains stay.
UPSERT_ORGANIZATIONS = """
UNWIND $rows AS row
MERGE (o:Organization {id: row.id})
ON CREATE SET o += row.prov, o.name = row.name, o.normalized_name = row.normalized_name
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

# row: {props: {id, kind, occurred_at, subject, body, thread_id, parent_id, category, duration_s,
#       src_kind, src, src_record, ingested_at, search_tokens, search_text}}
CREATE_INTERACTIONS = """
UNWIND $rows AS row
CREATE (i:Interaction)
SET i = row.props
"""

# row: {interaction_id, person_id, role, status, position}; the first (person, role) wins.
ADD_PARTICIPANTS = """
UNWIND $rows AS row
MATCH (i:Interaction {id: row.interaction_id})
MATCH (p:Person {id: row.person_id})
MERGE (p)-[r:PARTICIPATED {role: row.role}]->(i)
ON CREATE SET r.status = row.status, r.position = row.position
"""

# row: {interaction_id, topic}
ADD_TOPICS = """
UNWIND $rows AS row
MATCH (i:Interaction {id: row.interaction_id})
MERGE (t:Topic {name: row.topic})
MERGE (i)-[:ABOUT]->(t)
"""

# row: {a, b, first_at, last_at, <every KNOWS_COUNTERS field>}: counters add, times widen.
MERGE_KNOWS = """
UNWIND $rows AS row
MATCH (a:Person {id: row.a})
MATCH (b:Person {id: row.b})
MERGE (a)-[k:KNOWS]->(b)
ON CREATE SET
  k.first_at = row.first_at,
  k.last_at = row.last_at,
  k.emails_ab = 0.0,
  k.emails_ba = 0.0,
  k.email_weight = 0.0,
  k.meetings = 0.0,
  k.meeting_weight = 0.0,
  k.calls = 0.0,
  k.notes = 0.0,
  k.replies_ab = 0.0,
  k.replies_ba = 0.0,
  k.reply_hours_ab = 0.0,
  k.reply_hours_ba = 0.0
ON MATCH SET
  k.first_at = CASE WHEN k.first_at IS NULL OR row.first_at < k.first_at THEN row.first_at ELSE k.first_at END,
  k.last_at = CASE WHEN k.last_at IS NULL OR row.last_at > k.last_at THEN row.last_at ELSE k.last_at END
SET
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
"""

GET_INTERACTIONS = """
UNWIND $ids AS id
MATCH (i:Interaction {id: id})
RETURN i {.*} AS interaction,
  [(p:Person)-[r:PARTICIPATED]->(i) | {person_id: p.id, role: r.role, status: r.status, position: r.position}]
    AS participants,
  [(i)-[:ABOUT]->(t:Topic) | t.name] AS topics
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

ALL_KNOWS = """
MATCH (a:Person)-[k:KNOWS]->(b:Person)
RETURN a.id AS a, b.id AS b, properties(k) AS knows
ORDER BY a, b
"""

# -- search --------------------------------------------------------------------------------------
# $index is the full-text index of schema.cypher; $query the OR-joined quoted phrases.
SEARCH_TEXT = """
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

# Tests only: delete up to $batch nodes; run until it reports 0.
WIPE_BATCH = """
MATCH (n)
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
"""
