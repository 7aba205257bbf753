"""New text only: quoted replies, forwarded blocks and signatures come off the body."""

from __future__ import annotations

import pytest

from kith.ingest.email.bodies import html_to_text, split_body

QUOTE_STYLES = [
    "On Mon, Jan 1, 2018 at 9:00 AM Bob Smith <bob@example.com> wrote:\n> Lunch?\n> Bob",
    # Gmail wraps long attributions
    "On Mon, Jan 1, 2018 at 9:00 AM Bob Smith with a long name <\nbob@example.com> wrote:\n\n> Lunch?",
    "Am 01.01.2018 um 09:00 schrieb Bob Schmidt <bob@example.de>:\n> Mittagessen?",
    "Le lun. 1 janv. 2018 à 09:00, Bob <bob@example.fr> a écrit :\n> Déjeuner ?",
    "El lun, 1 ene 2018 a las 9:00, Bob (<bob@example.es>) escribió:\n> ¿Comida?",
    "2018年1月1日(月) 9:00 山田太郎 <taro@example.jp>:\n> 昼食は？",
    "在 2018年1月1日 上午9:00，Bob <bob@example.cn> 写道：\n> 午饭？",
    "-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Ann\nSubject: Lunch?\n\nLunch?",
    "________________________________\nFrom: Bob Smith <bob@example.com>\nSent: Monday, January 1, 2018 9:00 AM\n"
    "To: Ann\nSubject: Lunch?\n\nLunch?",
    "From: Bob Smith [mailto:bob@example.com]\nSent: Monday, January 1, 2018 9:00 AM\nTo: Ann\n\nLunch?",
    "Von: Bob Schmidt <bob@example.de>\nGesendet: Montag, 1. Januar 2018 09:00\nAn: Ann\n\nMittagessen?",
    "---------- Forwarded message ---------\nFrom: Bob <bob@example.com>\nDate: Mon, Jan 1, 2018\n\nLunch?",
    "Begin forwarded message:\n\nFrom: Bob <bob@example.com>\nSubject: Lunch?\n\nLunch?",
    "-------- Original Message --------\nSubject: Lunch?\nFrom: Bob\n\nLunch?",
    "Bob Smith wrote:\n> Lunch?",
]


@pytest.mark.parametrize("quote", QUOTE_STYLES)
def test_quoted_and_forwarded_text_is_cut(quote: str) -> None:
    body, signature = split_body(f"Sounds good, see you at noon.\n\n{quote}\n")
    assert body == "Sounds good, see you at noon."
    assert signature == ""


def test_interleaved_reply_keeps_own_lines() -> None:
    body, _ = split_body("> Can you do Tuesday?\nYes.\n\n> And bring the slides?\nWill do.\n")
    assert body == "Yes.\n\nWill do."


def test_dash_dash_space_signature() -> None:
    body, signature = split_body("See attached.\n\n-- \nAnn Lee\nHead of Research, Example Corp\n")
    assert (body, signature) == ("See attached.", "Ann Lee\nHead of Research, Example Corp")


@pytest.mark.parametrize(
    ("text", "body", "signature"),
    [
        (
            "Agreed, let's sign on Friday.\n\nBest regards,\nJane Doe\nPartner | Acme LLP\n"
            "T +44 20 7946 0000 | M +44 7700 900000\nwww.acme.example\n",
            "Agreed, let's sign on Friday.",
            "Best regards,\nJane Doe\nPartner | Acme LLP\nT +44 20 7946 0000 | M +44 7700 900000\nwww.acme.example",
        ),
        ("Works for me.\n\nThanks, Bob\n", "Works for me.", "Thanks, Bob"),
        ("Anbei die Unterlagen.\n\nMit freundlichen Grüßen\nKlaus Müller\nGeschäftsführer\n",
         "Anbei die Unterlagen.", "Mit freundlichen Grüßen\nKlaus Müller\nGeschäftsführer"),
        ("On my way.\n\nSent from my iPhone\n", "On my way.", "Sent from my iPhone"),
        # a sign-off word inside prose is not a signature
        ("Thanks for the quick turnaround on the contract, it reads well.\nI will send it on.\n",
         "Thanks for the quick turnaround on the contract, it reads well.\nI will send it on.", ""),
        # "Thanks!" as the last line with nothing after it stays in the body
        ("Can you send the deck?\nThanks!\n", "Can you send the deck?\nThanks!", ""),
        # a long block after the sign-off is not a signature block
        ("Cheers,\n" + "This paragraph keeps going with plenty of words in it, far too long for a title.\n" * 3,
         "Cheers,\n" + "\n".join(["This paragraph keeps going with plenty of words in it, far too long for a title."] * 3), ""),
    ],
)
def test_sign_off_signatures(text: str, body: str, signature: str) -> None:
    assert split_body(text) == (body, signature)


def test_signature_before_quote_is_split_and_quote_dropped() -> None:
    body, signature = split_body(
        "Yes, confirmed.\n\nKind regards,\nAnn\n\nFrom: Bob\nSent: Monday\nTo: Ann\n\nConfirm?\n"
    )
    assert (body, signature) == ("Yes, confirmed.", "Kind regards,\nAnn")


def test_html_to_text_blocks_entities_and_quotes() -> None:
    html = (
        "<html><head><title>t</title><style>p {color: red}</style></head><body>"
        "<div>Hi&nbsp;Bob &amp; team,</div><p>Line one<br>Line two</p>"
        "<ul><li>first</li><li>second</li></ul><script>var x = 1;</script>"
        "<blockquote>quoted <b>text</b><blockquote>deeper</blockquote></blockquote>"
        "<pre>  keep\n  spacing</pre></body></html>"
    )
    assert html_to_text(html) == (
        "Hi Bob & team,\nLine one\nLine two\nfirst\nsecond\n> quoted text\n> > deeper\n  keep\n  spacing"
    )


def test_outlook_html_reply_is_cut() -> None:
    html = (
        "<div>Confirmed for Tuesday.</div><div id=divRplyFwdMsg><hr>"
        "<b>From:</b> Bob Smith &lt;bob@example.com&gt;<br><b>Sent:</b> Monday<br>"
        "<b>To:</b> Ann<br><b>Subject:</b> Tuesday?</div><div>Does Tuesday work?</div>"
    )
    assert split_body(html_to_text(html)) == ("Confirmed for Tuesday.", "")
