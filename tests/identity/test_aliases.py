"""The mailbox names a person's name produces, and numbered accounts."""

from __future__ import annotations

import pytest

from kith.ingest.identity.aliases import is_numbered, local_forms
from kith.ingest.identity.names import parse_name


@pytest.mark.parametrize("local", ["john.smith", "jsmith", "j.smith", "john_smith", "johns", "johnsmith", "smithj",
                                   "smith.john", "jack.smith", "jon.smith", "john.q.smith", "jqsmith"])
def test_forms_of_john_q_smith(local: str) -> None:
    assert local in local_forms(parse_name("John Q. Smith"))


@pytest.mark.parametrize("local", ["jane.smith", "bsmith", "william.smith", "smith", "john", "jsmyth"])
def test_not_forms_of_john_q_smith(local: str) -> None:
    assert local not in local_forms(parse_name("John Q. Smith"))


def test_old_unix_mailboxes_cut_the_family_name_short() -> None:
    assert {"vkamins", "vkaminsk"} <= local_forms(parse_name("Kaminski, Vince J"))


def test_nicknames_spell_robert_but_initials_come_from_the_name_as_written() -> None:
    forms = local_forms(parse_name("Robert Baker"))
    assert {"bob.baker", "bobbaker", "rob.baker", "rbaker"} <= forms
    assert "bbaker" not in forms and "bill.baker" not in forms  # Bill is a loose link only


def test_numbered_accounts() -> None:
    assert is_numbered("support1") and is_numbered("jsmith2") and not is_numbered("jsmith")
