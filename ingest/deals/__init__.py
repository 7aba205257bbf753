"""Deal records into the graph: CSV, JSON and XLSX CRM exports read through a mapping profile.

A profile (``ingest/deal_profiles/*.toml``: salesforce, hubspot, generic; or any TOML file, which may
``extends = "generic"`` and rename only what differs) maps columns to a deal's fields, stages to
open/won/lost, and person columns to roles. See generic.toml for every key.

Choices:
- A deal's id is ``deal_id(profile system, record id)``: the same record from the same system is the
  same deal whatever the file is called. Rows of one record (Salesforce contact-role reports) merge:
  later rows fill fields, roles accumulate. A row without a record id is keyed on a hash of its
  values and flagged "no record id".
- Accounts become organisations through ``Resolver.company`` (normalize_company: "GTXPro" is
  "GTX Pro"). A profile may name reference lists (``[references.<column>]``: a file beside the input
  and its column, e.g. the CRM's accounts.csv): a value is replaced by the reference spelling whose
  normalised key equals it, else whose key is within ``FUZZY_THRESHOLD`` (rapidfuzz ratio on the
  keys, or failing that on the folded full spellings, of at least ``FUZZY_MIN_CHARS`` characters), flagged "<column> matched by similarity";
  keys with other numbers never match ("Fund 2" / "Fund 3"); a value matching nothing is kept as written and flagged "<column> not in <file>". Accounts are
  also matched, the same way, against the accounts earlier rows of the run named.
- A file is refused as a whole when it is binary (named .csv or not) or has no column the profile
  reads a deal's id or name from (the error names both sides); header columns match the profile's
  whatever their case and separators, and those the profile does not read are listed in the report.
- Rows are never dropped for dirty data: a row without an account is a deal without organisation,
  flagged "no account"; an unparseable date or amount is left empty and flagged. Only a record that
  cannot be read at all (a JSON item that is not an object) is an error. So for every run
  ``rows == ingested + duplicates + resumed + skipped``, and ``flagged`` says what was repaired.
- People named by address go through the Resolver like email senders; people named only by name
  (the Maven export's sales agent, a HubSpot owner) are ``Resolver.named_person`` within the profile's
  system: one id per folded name, internal when the profile says so, a similar known name queued for
  `kith review` rather than merged.
"""

from kith.ingest.deals.pipeline import DealIngest, DealReport, ingest_deals
from kith.ingest.deals.profiles import Profile, available_profiles, load_profile
from kith.ingest.deals.readers import read_rows
from kith.ingest.deals.values import parse_amount, parse_date

__all__ = ["DealIngest", "DealReport", "Profile", "available_profiles", "ingest_deals", "load_profile",
           "parse_amount", "parse_date", "read_rows"]
