// Kith's Neo4j schema: constraints and indexes, each idempotent, one statement per ';'.
// The Neo4j store applies this on connect; the package ships it through graph/schema.cypher, a link to
// this file. An index no statement uses is left out: every write would pay for it.

CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT email_address IF NOT EXISTS FOR (n:Email) REQUIRE n.address IS UNIQUE;
CREATE CONSTRAINT organization_id IF NOT EXISTS FOR (n:Organization) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT domain_name IF NOT EXISTS FOR (n:Domain) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT interaction_id IF NOT EXISTS FOR (n:Interaction) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT deal_id IF NOT EXISTS FOR (n:Deal) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT topic_name IF NOT EXISTS FOR (n:Topic) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT erased_email_hash IF NOT EXISTS FOR (n:Erased) REQUIRE n.email_hash IS UNIQUE;
CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (n:Meta) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT identity_event_id IF NOT EXISTS FOR (n:IdentityEvent) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT review_item_id IF NOT EXISTS FOR (n:ReviewItem) REQUIRE n.id IS UNIQUE;
// One queue entry per pair, stored with person_id < other_id (composite uniqueness: Community Edition has it).
CREATE CONSTRAINT review_item_pair IF NOT EXISTS FOR (n:ReviewItem) REQUIRE (n.person_id, n.other_id) IS UNIQUE;

CREATE TEXT INDEX email_address_text IF NOT EXISTS FOR (n:Email) ON (n.address);
CREATE RANGE INDEX organization_normalized_name IF NOT EXISTS FOR (n:Organization) ON (n.normalized_name);
CREATE RANGE INDEX interaction_parent_id IF NOT EXISTS FOR (n:Interaction) ON (n.parent_id);
CREATE RANGE INDEX identity_event_person_id IF NOT EXISTS FOR (n:IdentityEvent) ON (n.person_id);
CREATE RANGE INDEX identity_event_other_id IF NOT EXISTS FOR (n:IdentityEvent) ON (n.other_id);
// The network file's change record (graph.network_file refreshes from what was written after its generation).
CREATE RANGE INDEX knows_gen IF NOT EXISTS FOR ()-[k:KNOWS]-() ON (k.gen);
CREATE RANGE INDEX person_knows_gen IF NOT EXISTS FOR (n:Person) ON (n.knows_gen);

// Tokens are pre-processed by graph/text.py (folded, CJK bigrams), so Lucene only splits on spaces.
// Eventually consistent: a commit does not wait for Lucene (a third of an ingest's write time); a search
// first waits for the pending updates (SEARCH_TEXT), so it still reads every committed write.
CREATE FULLTEXT INDEX kith_documents IF NOT EXISTS
FOR (n:Interaction|Deal) ON EACH [n.search_tokens]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace', `fulltext.eventually_consistent`: true}};
