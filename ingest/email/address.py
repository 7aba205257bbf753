"""One address of a header: what the parser gives and the classifier reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    name: str  # decoded display name, '' if none
    address: str  # addr-spec as written, stripped; only the domain part lower-cased
