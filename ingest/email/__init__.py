"""Email ingestion: stream messages out of mail stores and parse each into a plain record.

``iter_messages`` (sources) yields raw messages; ``parse_message`` (parse) turns one into a
``ParsedEmail`` with its category (classify) and new text (bodies). No database, no identity
resolution here.
"""

from kith.ingest.email.classify import classify
from kith.ingest.email.parse import Address, MessageError, ParsedEmail, parse_message
from kith.ingest.email.sources import RawMessage, ReadError, iter_messages

__all__ = [
    "Address",
    "MessageError",
    "ParsedEmail",
    "RawMessage",
    "ReadError",
    "classify",
    "iter_messages",
    "parse_message",
]
