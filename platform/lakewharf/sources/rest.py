"""``rest``: a SaaS application's REST API, read as Data Factory's REST connector reads it.

https://learn.microsoft.com/azure/data-factory/connector-rest

- Linked service ``RestService``: the source's ``options.base_url`` and one ``auth``: ``anonymous``,
  ``basic`` (``user_name``; the password is the Key Vault secret ``connection.secret``),
  ``service_principal`` (``AadServicePrincipal``: ``client_id``, ``tenant_id``, ``aad_resource_id``;
  the key is the Key Vault secret) or ``managed_identity`` (``ManagedServiceIdentity``: the
  factory's identity, with ``aad_resource_id``). Never a credential value in the catalog. Sources
  with one auth share one linked service (``ls_src_rest_<auth>``), dataset and worker.
- Dataset ``RestResource``: the entity's ``path`` as ``relativeUrl``.
- Copy source ``RestSource`` (GET) with the entity's ``pagination`` rules and ``headers``
  (``additionalHeaders``); the JSON response becomes rows through the Copy's ``TabularTranslator``:
  ``collectionReference`` is the entity's ``records`` (the array of records in each response) and
  each column maps from ``fields[column]`` (a dotted path in the record; default: its name):
  https://learn.microsoft.com/azure/data-factory/copy-activity-schema-and-type-mapping#tabulartranslator-with-collectionreference
- Pagination rules (https://learn.microsoft.com/azure/data-factory/connector-rest#pagination-support)
  lakewharf checks and runs locally: ``AbsoluteUrl: $.<path>`` (the next page's URL in the body),
  ``QueryParameters.<name>`` or ``QueryParameters.{<name>}`` (a ``{name}`` in ``path``) with
  ``RANGE:<start>:<end>:<step>``, ``EndCondition:$.<path>: Empty | NonEmpty | Exist | NonExist``
  and ``MaxRequestNumber: <n>``.

Entities load in full: an API has no watermark query (a filter in ``path`` is the API's own).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from lakewharf.model.catalog import Entity, Source
from lakewharf.sources.base import DatasetShape, Param, SourceKind

# auth -> (ADF authenticationType, the options it needs, whether it reads connection.secret)
AUTH: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "anonymous": ("Anonymous", (), False),
    "basic": ("Basic", ("user_name",), True),
    "service_principal": ("AadServicePrincipal", ("client_id", "tenant_id", "aad_resource_id"), True),
    "managed_identity": ("ManagedServiceIdentity", ("aad_resource_id",), False),
}
# Every REST linked service declares the same parameters, so datasets and workers share one shape.
CONNECTION = ("base_url", "user_name", "client_id", "tenant_id", "aad_resource_id")
OPTIONS: dict[str, Any] = {
    "base_url": {"type": "string", "pattern": "^https://[^\\s?#]+$",
                 "description": "The API's root (https), e.g. https://api.example.com/v2/."},
    "auth": {"enum": list(AUTH), "description": "How the factory logs in to a rest source."},
    "user_name": {"type": "string", "minLength": 1},
    "client_id": {"type": "string", "minLength": 1},
    "tenant_id": {"type": "string", "minLength": 1},
    "aad_resource_id": {"type": "string", "minLength": 1},
}
# Headers that carry a credential: the linked service's auth does that, from Key Vault.
_CREDENTIAL_HEADERS = re.compile(r"(?i)^(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey|"
                                 r"x-auth-token|ocp-apim-subscription-key)$")
_BODY_PATH = re.compile(r"^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_RANGE = re.compile(r"^RANGE:(-?\d+):(-?\d+):(\d+)$")
_END_VALUES = ("Empty", "NonEmpty", "Exist", "NonExist")
DEFAULT_PAGE_SIZE = 100  # records per page the local API serves when no RANGE rule sets the step

Problem = tuple[tuple[str, ...], str, str]


@dataclass(frozen=True)
class Paging:
    """The pagination rules of one entity, as the local client follows them."""

    next_url: tuple[str, ...] | None = None  # AbsoluteUrl: body path of the next page's URL
    range_name: str | None = None  # QueryParameters.<name> / .{<name>}
    range_in_path: bool = False  # {name} is substituted in the relative URL
    start: int = 0
    end: int = 0
    step: int = 0
    end_conditions: tuple[tuple[tuple[str, ...], str], ...] = ()  # (body path, Empty|NonEmpty|Exist|NonExist)
    max_requests: int | None = None

    @property
    def page_size(self) -> int:
        return self.step or DEFAULT_PAGE_SIZE


def body_path(text: str) -> tuple[str, ...]:
    return tuple(text.split(".")[1:])


def paging_problems(rules: Any, path: str) -> tuple[Paging, list[tuple[tuple[str, ...], str, str]]]:
    """The rules as a ``Paging`` and (key, message, hint) for each rule lakewharf cannot follow."""
    found: list[tuple[tuple[str, ...], str, str]] = []
    fields: dict[str, Any] = {}
    conditions = []
    for key, value in (rules or {}).items():
        text = str(value)
        if key == "AbsoluteUrl":
            if _BODY_PATH.match(text):
                fields["next_url"] = body_path(text)
            else:
                found.append(((key,), f"AbsoluteUrl takes the body path of the next page's URL, not {text!r}",
                              "e.g. AbsoluteUrl: $.next or $.paging.next"))
        elif key.startswith("QueryParameters."):
            name = key.removeprefix("QueryParameters.")
            in_path = name.startswith("{") and name.endswith("}")
            name = name.strip("{}")
            match = _RANGE.match(text)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or not match or int(match[3]) == 0:
                found.append(((key,), f"{key}: {text!r} is not a range rule lakewharf follows",
                              "QueryParameters.offset: RANGE:<start>:<end>:<step>, e.g. RANGE:0:10000:100"))
            elif "range_name" in fields:
                found.append(((key,), "only one QueryParameters range rule is followed", "keep one"))
            elif in_path and "{" + name + "}" not in path:
                found.append(((key,), f"{key} fills {{{name}}} in the entity's path, which has none",
                              f"path: things?offset={{{name}}}, or write QueryParameters.{name}"))
            else:
                fields |= {"range_name": name, "range_in_path": in_path, "start": int(match[1]),
                           "end": int(match[2]), "step": int(match[3])}
        elif key.startswith("EndCondition:"):
            where = key.removeprefix("EndCondition:")
            if not _BODY_PATH.match(where) or text not in _END_VALUES:
                found.append(((key,), f"{key}: {text!r} is not an end condition lakewharf follows",
                              "EndCondition:$.data: Empty (or NonEmpty, Exist, NonExist)"))
            else:
                conditions.append((body_path(where), text))
        elif key == "MaxRequestNumber":
            if not (isinstance(value, int) or text.isdigit()) or int(text) < 1:
                found.append(((key,), f"MaxRequestNumber must be a positive number, not {text!r}", "e.g. 100"))
            else:
                fields["max_requests"] = int(text)
        else:
            found.append(((key,), f"{key!r} is not a pagination rule lakewharf follows",
                          "AbsoluteUrl, QueryParameters.<name>, EndCondition:$.<path> or MaxRequestNumber"))
    if not found and "next_url" in fields and "range_name" in fields:
        found.append(((), "AbsoluteUrl and a QueryParameters range are two ways to page: use one", "keep one"))
    return Paging(**fields, end_conditions=tuple(conditions)), found


def record_paths(entity: Entity) -> dict[str, tuple[str, ...]]:
    """Column -> its path inside one record (``fields``; default: the column's name)."""
    fields = entity.api.get("fields", {})
    return {c.name: tuple(str(fields.get(c.name, c.name)).split(".")) for c in entity.columns}


def records_path(entity: Entity) -> tuple[str, ...]:
    return tuple(str(entity.api.get("records", "")).split(".")) if entity.api.get("records") else ()


def _json_path(parts: tuple[str, ...], root: str) -> str:
    return root + "".join(f"['{p}']" for p in parts)


@dataclass(frozen=True)
class ApiKind(SourceKind):
    is_database: ClassVar[bool] = False
    incremental: ClassVar[str] = "none"
    entity_field: ClassVar[str] = "path"
    entity_hint: ClassVar[str] = "the relative URL under options.base_url, e.g. path: tickets?status=all"

    @property
    def linked_service_key(self) -> str:
        return self.name

    def linked_service_key_of(self, source: Source) -> str:
        return f"{self.name}_{source.options.get('auth', 'anonymous')}"

    def owns_linked_service(self, key: str) -> bool:
        return key.startswith(self.name + "_") and key.removeprefix(self.name + "_") in AUTH

    def reads_secret(self, key: str) -> bool:
        return AUTH[key.removeprefix(self.name + "_")][2]

    def linked_service(self, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        return self.linked_service_for(f"{self.name}_anonymous", secret, param)

    def linked_service_for(self, key: str, secret: dict[str, Any], param: Param) -> tuple[str, dict[str, Any]]:
        auth = key.removeprefix(self.name + "_")
        props: dict[str, Any] = {"url": param("base_url"), "enableServerCertificateValidation": True,
                                 "authenticationType": AUTH[auth][0]}
        if auth == "basic":
            props |= {"userName": param("user_name"), "password": secret}
        elif auth == "service_principal":
            props |= {"servicePrincipalId": param("client_id"), "servicePrincipalKey": secret,
                      "tenant": param("tenant_id"), "aadResourceId": param("aad_resource_id")}
        elif auth == "managed_identity":
            props["aadResourceId"] = param("aad_resource_id")
        return "RestService", props

    def dataset_family(self, source: Source) -> str:
        return self.linked_service_key_of(source)

    def dataset(self, source: Source, param: Param) -> DatasetShape:
        return DatasetShape("RestResource", {"relative_url": "String"}, {"relativeUrl": param("relative_url")},
                            "A resource of a rest source (the item's relative URL).")

    def copy_source(self, pagination: Any, headers: Any) -> dict[str, Any]:
        # requestInterval spaces the page requests (10 ms, the connector's default); 100 s per request.
        return {"type": "RestSource", "requestMethod": "GET", "additionalHeaders": headers,
                "paginationRules": pagination, "httpRequestTimeout": "00:01:40", "requestInterval": "00.00:00:00.010"}

    def item(self, source: Source, entity: Entity) -> dict[str, Any]:
        """The worker item's fields beyond the common ones (pagination and headers as JSON objects)."""
        assert entity.path is not None
        pagination = {rule: str(value) for rule, value in entity.api.get("pagination", {}).items()}  # ADF: strings
        return {"relative_url": entity.path, "pagination": pagination,
                "headers": dict(entity.api.get("headers", {})),
                **{name: str(source.options.get(name, "")) for name in CONNECTION}}

    def record_mapping(self, entity: Entity) -> tuple[str, dict[str, str]]:
        """(collectionReference, column -> jsonPath relative to it) for the Copy's translator."""
        return _json_path(records_path(entity), "$"), {c: _json_path(p, "") for c, p in record_paths(entity).items()}

    def local_glob(self, entity: Entity, source: Source | None = None) -> tuple[str, str]:
        return entity.name, "*.json"  # the response bodies, served in name order

    def local_files(self, entity: Entity, table: Any, source: Source | None = None) -> dict[str, bytes]:
        """The entity's API responses as page files (``<entity>/page-00001.json``), each the body
        the local API serves: the records under ``records``; the next-page link is the server's."""
        paging, _ = paging_problems(entity.api.get("pagination"), entity.path or "")
        rows = table.to_pylist()
        # Without pagination rules the connector makes one request: the API answers with every record.
        size = paging.page_size if entity.api.get("pagination") else max(1, len(rows))
        where, fields = records_path(entity), record_paths(entity)
        pages = [rows[i:i + size] for i in range(0, len(rows), size)] or [[]]
        out = {}
        for number, page in enumerate(pages, start=1):
            records = []
            for row in page:
                record: dict[str, Any] = {}
                for column, parts in fields.items():
                    _put(record, parts, row.get(column))
                records.append(record)
            body: Any = records
            if where:  # the records sit under their path in the response body
                body = {}
                _put(body, where, records)
            text = json.dumps(body, ensure_ascii=False, default=str, indent=1)
            out[f"{entity.name}/page-{number:05d}.json"] = text.encode("utf-8")
        return out

    def problems(self, source: dict[str, Any]) -> list[Problem]:
        options = source.get("options", {})
        at = ("options",) if "options" in source else ()
        found: list[Problem] = []
        if "base_url" not in options:
            found.append((at, "a rest source needs options.base_url", "options: {base_url: https://api.example.com/v2/}"))
        auth = options.get("auth", "anonymous")
        if auth in AUTH:
            found += [(at, f"auth {auth} needs options.{name}", f"options: {{{name}: ...}}")
                      for name in AUTH[auth][1] if name not in options]
            secret = (source.get("connection") or {}).get("secret")
            if AUTH[auth][2] and not secret:
                found.append(((), f"auth {auth} reads its credential from Key Vault: it needs connection.secret",
                              "connection: {secret: <the Key Vault secret's name>}"))
            if not AUTH[auth][2] and "connection" in source:
                found.append((("connection",), f"auth {auth} uses no secret", "remove connection, or use basic"))
        for name, entity in (source.get("entities") or {}).items():
            found += self._entity_problems(name, entity)
        return found + self._reach(source)

    def _entity_problems(self, name: str, entity: dict[str, Any]) -> list[Problem]:
        at = ("entities", name)
        found: list[Problem] = []
        if not entity.get("records"):
            found.append((at, "a rest entity needs 'records': where the records sit in each response",
                          "e.g. records: data (the array of {\"data\": [...]})"))
        if (entity.get("load") or {}).get("mode") == "incremental":
            found.append(((*at, "load"), "a rest entity loads in full: an API has no watermark query",
                          "load: {mode: full}; filter in the path when the API takes a filter"))
        _, rules = paging_problems(entity.get("pagination"), str(entity.get("path", "")))
        found += [((*at, "pagination", *key), message, hint) for key, message, hint in rules]
        columns = entity.get("columns") or {}
        found += [((*at, "fields", column), f"fields maps {column!r}, which is not a column of {name}",
                   "map declared columns only") for column in entity.get("fields") or {} if column not in columns]
        found += [((*at, "headers", header), f"header {header!r} carries a credential, which never goes in the catalog",
                   "set options.auth (basic, service_principal, managed_identity); the secret stays in Key Vault")
                  for header in entity.get("headers") or {} if _CREDENTIAL_HEADERS.match(header)]
        return found


def _put(target: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


REST = ApiKind(
    "rest", "a SaaS application's REST API", OPTIONS, needs_secret=False, connection_parameters=CONNECTION,
    not_verified_locally=(
        "the REST API's authentication (basic, service principal or managed identity; the local API is anonymous)",
        "the REST API's rate limits, throttling (HTTP 429) and retries",
        "the REST API's real responses: the local API serves lakewharf's page files on 127.0.0.1",
    ),
)
