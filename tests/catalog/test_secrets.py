"""The inline-secret scan (lakewharf.catalog.secrets): the text prefilter never hides a finding."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakewharf.catalog.secrets import find_inline_secrets
from lakewharf.catalog.yaml_document import YamlDocument
from lakewharf.catalog.yaml_source import load_yaml_text
from lakewharf.errors import CatalogInvalid

FILE = "catalog/sources/crm.yaml"


def _scans(text: str) -> tuple[list[str], list[str]] | None:
    """(findings with the text prefilter, findings walking every value), or None if not YAML."""
    try:
        doc = load_yaml_text(text.encode(), FILE)
    except CatalogInvalid:
        return None
    walked = YamlDocument(doc.file, doc.data, doc.value_positions, doc.key_positions)  # no text: walks
    return [str(e) for e in find_inline_secrets(doc)], [str(e) for e in find_inline_secrets(walked)]


@pytest.mark.parametrize("text", [
    "connection: Server=x;Password=hunter2\n",
    "connection: \"Server=x;Pass\\x77ord=hunter2\"\n",  # an escape spells the word
    "connection: Server=x;Paſſword=hunter2\n",  # (?i) folds the long s to s
    "url: https://user:pw@example.com/x\n",
    "key: >\n  -----BEGIN\n  RSA PRIVATE KEY-----\n",
    "api_key: abc\n",
    "'api_key': abc\n",
    "\"tok\\u0065n\": abc\n",
    "jwt: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3.SflKxwRJSMeKKF2QT4fw\n",
    "aws: AKIAABCDEFGHIJKLMNOP\n",
    "sas: ?sv=1&sig=abcdefghijklmnop1234\n",
])
def test_the_prefilter_finds_what_the_walk_finds(text: str) -> None:
    scans = _scans(text)
    assert scans is not None
    fast, walked = scans
    assert walked and fast == walked


_WORDS = st.sampled_from(["password", "PWD", "pass", "word", "=", " = ", ";", "://", "@", "user", ":", "sig=", "?",
                          "&", "eyJ", "AKIA", "ASIA", "-----BEGIN", " RSA PRIVATE KEY-----", "token", "api_key",
                          "sas", "AccountKey", "sharedaccesskey", "\n", "\n  ", "'", "\"", "\\", "x", "0123456789"])
_KEYS = st.sampled_from(["token", "api_key", "password", "name", "sas", "'pwd'", "\"secret_value\""])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=_KEYS, parts=st.lists(_WORDS, max_size=12), style=st.sampled_from(["", "'", "\"", "|\n  ", ">\n  "]))
def test_any_value_is_found_as_the_walk_finds_it(key: str, parts: list[str], style: str) -> None:
    body = "".join(parts)
    if style in ("'", "\""):
        body = style + body.replace(style, "") + style
    scans = _scans(f"{key}: {style if style.startswith(('|', '>')) else ''}{body}\nother: [{body!r}]\n")
    if scans is not None:
        assert scans[0] == scans[1]


def test_a_schema_message_does_not_repeat_a_secret_value() -> None:
    from pathlib import Path

    from lakewharf.catalog.schema import check_document

    sample = Path(__file__).resolve().parents[2] / "catalog" / "sources" / "crm.yaml"
    text = sample.read_text().replace("secret: crm-sql-connection-string", 'secret: "Server=x;Password=hunter2"', 1)
    doc = load_yaml_text(text.encode(), FILE)
    errors = check_document(doc, "source")
    assert errors and all("hunter2" not in str(e) and "hunter2" not in e.hint for e in errors), errors
    assert any("looks like a secret" in e.message for e in errors)
    assert [e.path for e in find_inline_secrets(doc)] == [("connection", "secret")]  # reported, located, itself
