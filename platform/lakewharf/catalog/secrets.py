"""Find secret values written inline in catalog files.

Connection details belong in Key Vault; the catalog names the secret. This scan looks at every
string in every file (schema-valid or not) for shapes that are almost always credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lakewharf.catalog.yaml_source import YamlDocument
from lakewharf.errors import CatalogError

_PATTERNS = [
    (re.compile(r"(?i)\b(password|pwd)\s*=\s*[^;\s]+"), "a connection string with a password"),
    (re.compile(r"(?i)\baccountkey\s*=\s*[A-Za-z0-9+/=]{20,}"), "a storage account key"),
    (re.compile(r"(?i)\bsharedaccesskey\s*=\s*\S+"), "a shared access key"),
    (re.compile(r"(?i)[?&]sig=[A-Za-z0-9%+/=]{16,}"), "a SAS token signature"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), "a JSON Web Token"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s:@]+@"), "a URL with a user name and password"),
]
_SECRET_KEYS = re.compile(r"(?i)^(password|passwd|pwd|secret_value|client_secret|api_key|access_key|account_key|"
                          r"token|connection_string|sas|sas_token)$")
_HINT = "store the value in Key Vault and reference it by name, e.g. connection: {secret: crm-sql-connection-string}"


def _walk(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk(v, (*path, i))


# What a value or key must contain, as written in the file, for a pattern or a secret key to match
# it (lower-cased; the last three as they are). A YAML scalar is its text with line breaks folded to
# spaces or newlines and indentation dropped, and without a backslash (escapes) nothing else changes,
# so none of these can appear in the data of an ASCII file whose text lacks them all; (?i) folds
# non-ASCII letters too ("ſ" matches "s"), hence ASCII only.
_NEEDED = ("password", "passwd", "pwd", "accountkey", "sharedaccesskey", "sig=", "://", "secret_value",
           "client_secret", "api_key", "access_key", "account_key", "token", "connection_string", "sas")
_NEEDED_AS_WRITTEN = ("eyJ", "-----BEGIN", "AKIA", "ASIA")


def _may_hold_secrets(text: str) -> bool:
    if not text.isascii() or "\\" in text:
        return True
    lowered = text.lower()
    return any(n in lowered for n in _NEEDED) or any(n in text for n in _NEEDED_AS_WRITTEN)


def looks_like_secret(text: str) -> bool:
    """Whether ``text`` has one of the shapes that are almost always credentials."""
    return any(pattern.search(text) for pattern, _ in _PATTERNS)


def find_inline_secrets(doc: YamlDocument) -> list[CatalogError]:
    """Every inline secret of ``doc``; a file whose text holds none of their shapes is not walked
    (the walk was a quarter of loading a 1,000-table catalog)."""
    if doc.text is not None and not _may_hold_secrets(doc.text):
        return []
    errors = []
    for path, value in _walk(doc.data):
        key = path[-1] if path and isinstance(path[-1], str) else ""
        if key and _SECRET_KEYS.match(key) and value not in (None, "") and not isinstance(value, dict | bool):
            errors.append(doc.error(path, f"field {key!r} holds a secret value inline", _HINT, key=True))
            continue
        if isinstance(value, str):
            for pattern, what in _PATTERNS:
                if pattern.search(value):
                    errors.append(doc.error(path, f"looks like {what} written inline", _HINT))
                    break
    return errors
