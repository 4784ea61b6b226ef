"""Compare two generated trees: which artifacts changed, how, and which changes break readers.

Breaking changes come from the two trees' ``contract.json``: a dropped or retyped warehouse
column, a distribution/index/partition change (the table must be rebuilt), changed merge keys,
and personal data newly readable by a role.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lakewharf.generate.snapshot import CONTRACT
from lakewharf.model.types import DataType


@dataclass(frozen=True)
class Change:
    path: str
    status: str  # added | removed | changed
    diff: str  # unified diff of the normalized text ("" for added/removed)


@dataclass(frozen=True)
class Breaking:
    object: str
    kind: str  # dropped_column | retyped_column | rebuild | merge_keys | privacy_exposure
    message: str


@dataclass(frozen=True)
class DiffReport:
    changes: list[Change] = field(default_factory=list)
    breaking: list[Breaking] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "identical": self.identical,
            "changes": [{"path": c.path, "status": c.status, "diff": c.diff} for c in self.changes],
            "breaking": [{"object": b.object, "kind": b.kind, "message": b.message} for b in self.breaking],
        }


def _normalized(path: str, content: bytes) -> list[str]:
    text = content.decode("utf-8", errors="replace")
    if path.endswith(".json"):
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            text = _expand_multiline_strings(text)
    return text.splitlines(keepends=True)


# One line of indented JSON whose value is a string: indent, optional key, the string body, comma.
_STRING_LINE = re.compile(r'^(\s*)("(?:[^"\\]|\\.)*": )?"((?:[^"\\]|\\.)*)"(,?)$')


def _expand_multiline_strings(text: str) -> str:
    """Show a string that holds lines (the SQL of a Script activity) as those lines, between
    triple quotes, so the diff of one changed SQL line is that line and not the whole script.
    For reading only: the review diff, not a file anyone parses."""
    out = []
    for line in text.split("\n"):
        m = _STRING_LINE.match(line)
        if m and "\\n" in m.group(3):
            indent, key, body, comma = m.groups()
            out.append(f'{indent}{key or ""}"""')
            out.extend(f"{indent}  {part}".rstrip() for part in json.loads(f'"{body}"').split("\n"))
            out.append(f'{indent}"""{comma}')
        else:
            out.append(line)
    return "\n".join(out)


def compare_trees(old: dict[str, bytes], new: dict[str, bytes]) -> DiffReport:
    changes = []
    for path in sorted(set(old) | set(new)):
        if path not in old:
            changes.append(Change(path, "added", ""))
        elif path not in new:
            changes.append(Change(path, "removed", ""))
        elif old[path] != new[path]:
            diff = "".join(difflib.unified_diff(_normalized(path, old[path]), _normalized(path, new[path]),
                                                f"a/{path}", f"b/{path}"))
            changes.append(Change(path, "changed", diff))
    breaking = breaking_changes(_contract(old), _contract(new))
    return DiffReport(changes, breaking)


def _contract(tree: dict[str, bytes]) -> dict[str, Any]:
    try:
        return json.loads(tree[CONTRACT])
    except (KeyError, ValueError):
        return {"tables": {}, "exposures": []}


def _widens(old: str, new: str) -> bool:
    try:
        return DataType.parse(old).fits_into(DataType.parse(new))
    except ValueError:
        return False


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Breaking]:
    out: list[Breaking] = []
    for name, before in sorted(old.get("tables", {}).items()):
        after = new.get("tables", {}).get(name)
        obj = f"table:{name}"
        if after is None:
            out.append(Breaking(obj, "dropped_table", f"table {name} is dropped"))
            continue
        for col, spec in before["columns"].items():
            now = after["columns"].get(col)
            if now is None:
                out.append(Breaking(obj, "dropped_column", f"column {col} is dropped"))
            elif now["type"] != spec["type"] and not _widens(spec["type"], now["type"]):
                change = f"column {col} changes from {spec['type']} to {now['type']}"
                out.append(Breaking(obj, "retyped_column", change))
            elif now["nullable"] is False and spec["nullable"] is True:
                out.append(Breaking(obj, "retyped_column", f"column {col} becomes NOT NULL"))
        for key in ("distribution", "index", "partition"):
            if before[key] != after[key]:
                out.append(Breaking(obj, "rebuild", f"{key} changes from {before[key]} to {after[key]}: "
                                                   "Synapse rebuilds the table (CTAS + rename) to apply it"))
        if before["load"]["keys"] != after["load"]["keys"]:
            out.append(Breaking(obj, "merge_keys", f"merge keys change from {before['load']['keys']} to "
                                                   f"{after['load']['keys']}"))
    seen = {(e["object"], e["column"], e["role"]): e["access"] for e in old.get("exposures", [])}
    for e in new.get("exposures", []):
        key = (e["object"], e["column"], e["role"])
        if key not in seen or (seen[key] == "masked" and e["access"] == "unmasked"):
            out.append(Breaking(e["object"], "privacy_exposure",
                                f"{e['privacy']} column {e['column']} becomes readable by {e['role']} ({e['access']})"))
    return out
