"""The phone simulator's script and its table of sentences (tools/simulator/text.py) agree:
phone.js holds no words, so a key it reads that the table lacks shows "undefined"."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tools.simulator import text

SCRIPT = (Path(text.__file__).parent / "phone.js").read_text()
READ = re.compile(r"TEXT\.(\w+)(?:\.(\w+))?")


def test_every_sentence_the_script_reads_is_in_the_table():
    """A sentence renamed or removed on one side only would leave the person a blank or an
    "undefined" where a message belongs."""
    missing = [
        ".".join(filter(None, (key, inner)))
        for key, inner in READ.findall(SCRIPT)
        if key not in text.SCRIPT_TEXT or (inner and inner not in text.SCRIPT_TEXT[key])
    ]
    assert not missing


def test_every_sentence_in_the_table_is_read_by_the_script():
    """A sentence nobody shows still costs a translation in every language."""
    read = {key for key, _ in READ.findall(SCRIPT)}
    assert set(text.SCRIPT_TEXT) == read


def test_the_script_gets_its_sentences_in_the_language_asked_for():
    """data-text carries the table translated, with the same keys in every language."""
    english, dutch = (json.loads(text.script_text(code)) for code in ("en", "nl"))
    assert english["outcomes"]["approve"] == text.SCRIPT_TEXT["outcomes"]["approve"]
    assert dutch["outcomes"]["approve"] == "Goedgekeurd. De aanmeldpagina gaat vanzelf verder."
    assert english.keys() == dutch.keys() == text.SCRIPT_TEXT.keys()
