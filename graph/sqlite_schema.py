"""The SQLite schema as numbered migrations. ``PRAGMA user_version`` holds the applied version."""

from __future__ import annotations

from kith.graph.model import KNOWS_COUNTERS

_PROV = "src_kind TEXT, src TEXT, src_record TEXT, ingested_at INTEGER"
_KNOWS_COLS = ",\n  ".join(f"{name} REAL NOT NULL DEFAULT 0" for name in KNOWS_COUNTERS)

_V1 = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('generation', '0');

CREATE TABLE people(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  given_name TEXT NOT NULL DEFAULT '',
  family_name TEXT NOT NULL DEFAULT '',
  is_internal INTEGER NOT NULL DEFAULT 0,
  opted_out INTEGER NOT NULL DEFAULT 0,
  blocked INTEGER NOT NULL DEFAULT 0,
  sharing TEXT NOT NULL DEFAULT 'all',
  {_PROV}
);
CREATE TABLE person_emails(
  email TEXT PRIMARY KEY,
  person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  {_PROV}
);
CREATE INDEX person_emails_person ON person_emails(person_id);
CREATE TABLE person_phones(
  person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  phone TEXT NOT NULL,
  {_PROV},
  PRIMARY KEY (person_id, phone)
) WITHOUT ROWID;

CREATE TABLE organizations(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  normalized_name TEXT NOT NULL,
  {_PROV}
);
CREATE INDEX organizations_normalized ON organizations(normalized_name);
CREATE TABLE org_domains(
  domain TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  {_PROV}
);
CREATE INDEX org_domains_org ON org_domains(org_id);

CREATE TABLE works_at(
  person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  title TEXT NOT NULL DEFAULT '',
  since INTEGER,
  until INTEGER,
  {_PROV},
  PRIMARY KEY (person_id, org_id, title)
) WITHOUT ROWID;
CREATE INDEX works_at_org ON works_at(org_id);

CREATE TABLE interactions(
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  occurred_at INTEGER,
  subject TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  thread_id TEXT NOT NULL DEFAULT '',
  parent_id TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL,
  duration_s INTEGER,
  {_PROV}
);
CREATE INDEX interactions_time ON interactions(occurred_at);
CREATE INDEX interactions_thread ON interactions(thread_id) WHERE thread_id != '';
CREATE INDEX interactions_parent ON interactions(parent_id) WHERE parent_id != '';
CREATE TABLE participants(
  interaction_id TEXT NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
  person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  status TEXT NOT NULL,
  position INTEGER NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (interaction_id, person_id, role)
) WITHOUT ROWID;
CREATE INDEX participants_person ON participants(person_id, interaction_id);
CREATE TABLE interaction_topics(
  interaction_id TEXT NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
  topic TEXT NOT NULL,
  PRIMARY KEY (interaction_id, topic)
) WITHOUT ROWID;
CREATE INDEX interaction_topics_topic ON interaction_topics(topic);

CREATE TABLE deals(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  org_id TEXT REFERENCES organizations(id) ON DELETE SET NULL,
  stage TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  amount REAL,
  currency TEXT NOT NULL DEFAULT '',
  opened_at INTEGER,
  closed_at INTEGER,
  {_PROV}
);
CREATE INDEX deals_org ON deals(org_id);
CREATE TABLE deal_roles(
  deal_id TEXT NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
  person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  PRIMARY KEY (deal_id, person_id, role)
) WITHOUT ROWID;
CREATE INDEX deal_roles_person ON deal_roles(person_id);

CREATE TABLE knows(
  a TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  b TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  first_at INTEGER,
  last_at INTEGER,
  {_KNOWS_COLS},
  PRIMARY KEY (a, b),
  CHECK (a < b)
) WITHOUT ROWID;
CREATE INDEX knows_b ON knows(b);

-- Searchable text (what the privacy mode allows), one row per interaction or deal.
CREATE TABLE documents(
  rowid INTEGER PRIMARY KEY,
  doc_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  occurred_at INTEGER,
  text TEXT NOT NULL
);
CREATE VIRTUAL TABLE documents_fts USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 0');

-- Identity decisions (merge / attach / split), kept for audit and undo.
CREATE TABLE identity_events(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  person_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  emails TEXT NOT NULL,  -- JSON list
  snapshot TEXT NOT NULL,  -- JSON object
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL,
  undone_at INTEGER,
  undone_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX identity_events_person ON identity_events(person_id);
CREATE INDEX identity_events_other ON identity_events(other_id);

-- Possible duplicates waiting for a person's decision (kith review).
CREATE TABLE review_queue(
  id INTEGER PRIMARY KEY,
  person_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  score REAL NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  resolved_by TEXT NOT NULL DEFAULT '',
  resolved_at INTEGER,
  UNIQUE (person_id, other_id)
);

-- Addresses of erased people (sha256), so a re-ingest does not bring them back.
CREATE TABLE erased(email_hash TEXT PRIMARY KEY, erased_at INTEGER NOT NULL) WITHOUT ROWID;
"""

# An interaction's topics move onto its row as a sorted JSON array. The row per topic, with an index
# on the topic that no query used, was the heaviest write of an email ingest.
_V2 = """
ALTER TABLE interactions ADD COLUMN topics TEXT NOT NULL DEFAULT '[]';
UPDATE interactions SET topics = (
  SELECT json_group_array(topic) FROM (
    SELECT topic FROM interaction_topics WHERE interaction_id = interactions.id ORDER BY topic))
WHERE id IN (SELECT interaction_id FROM interaction_topics);
DROP TABLE interaction_topics;
"""

# Whether an organisation's name is only a guess from its domain, which a written name replaces.
_V3 = """
ALTER TABLE organizations ADD COLUMN name_guessed INTEGER NOT NULL DEFAULT 0;
"""

# Search tokens are stemmed now (graph.text.index_text): the full-text index is rebuilt from the kept text.
# kith_index_text is graph.text.index_text, registered on the connection that migrates.
_V4 = """
DELETE FROM documents_fts;
INSERT INTO documents_fts (rowid, tokens) SELECT rowid, kith_index_text(text) FROM documents;
"""

# The change record of the network file (graph.network_file refreshes its arrays from it): each KNOWS row
# holds the generation that last wrote it, each person the generation when all their edges were last
# replaced (replace_knows, or the person's creation). Rows from before hold 0: older than any file.
_V5 = """
ALTER TABLE knows ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN knows_gen INTEGER NOT NULL DEFAULT 0;
CREATE INDEX knows_gen ON knows(gen);
"""

# How many interactions name each topic, so that counting the distinct topics (`kith status`) reads this
# small table, not every interaction's topics. The store keeps it where it writes interactions, one row
# per topic and batch (a trigger per interaction made their insert ~2.7x slower).
_V6 = """
CREATE TABLE topic_counts(topic TEXT PRIMARY KEY, interactions INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO topic_counts (topic, interactions)
  SELECT t.value, count(DISTINCT i.id) FROM interactions i, json_each(i.topics) t GROUP BY t.value;
"""

# MIGRATIONS[n - 1] takes a database from version n - 1 to version n.
MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6]
LATEST = len(MIGRATIONS)
