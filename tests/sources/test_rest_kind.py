"""The ``rest`` kind in a ``wharf init`` project: it validates, generates what the Data Factory
models accept (RestService, RestResource, RestSource with pagination, a translator with
collectionReference) and runs locally against a real HTTP API on 127.0.0.1, every record
accounted for; bad options are located errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from kind_projects import adf_doc, catalog_errors, init_with
from rest_kind import add_rest_source

from lakewharf.cli.main import main
from lakewharf.errors import CatalogInvalid
from lakewharf.local.rest_api import read_api
from lakewharf.project import load_catalog

HELPDESK = "catalog/sources/helpdesk.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_with(tmp_path_factory, "rest", add_rest_source)


def test_it_validates(project: Path) -> None:
    source = load_catalog(project).sources["helpdesk"]
    assert source.kind == "rest" and source.secret == "helpdesk-api-client-secret"
    assert source.entities["tickets"].api["pagination"] == {"AbsoluteUrl": "$.links.next"}


def test_the_rest_connector_documents(built: Path) -> None:
    ls = adf_doc(built, "linkedService", "ls_src_rest_service_principal")
    assert ls["type"] == "RestService" and ls["typeProperties"]["authenticationType"] == "AadServicePrincipal"
    assert ls["typeProperties"]["servicePrincipalKey"]["type"] == "AzureKeyVaultSecret"
    assert ls["typeProperties"]["aadResourceId"] == "@{linkedService().aad_resource_id}"
    assert adf_doc(built, "dataset", "ds_src_rest_service_principal")["type"] == "RestResource"
    copy = next(a for a in adf_doc(built, "pipeline", "wk_ingest_rest_service_principal_full")["activities"]
                if a["type"] == "Copy")
    source = copy["typeProperties"]["source"]
    assert source["type"] == "RestSource" and source["requestMethod"] == "GET"
    assert source["paginationRules"]["value"] == "@pipeline().parameters.pagination"
    items = {i["target"]: i for i in json.loads(next((built / "control" / "pl_land_helpdesk").glob("*.json"))
                                                 .read_text(encoding="utf-8"))}
    tickets = items["helpdesk.tickets"]
    assert tickets["relative_url"] == "tickets?status=all" and tickets["headers"] == {"Accept-Language": "en"}
    assert tickets["translator"]["collectionReference"] == "$['data']"
    paths = {m["sink"]["name"]: m["source"].get("path") for m in tickets["translator"]["mappings"]}
    assert paths["requester"] == "['requester']['email']" and paths["priority"] == "['priority']"
    assert items["helpdesk.agents"]["translator"]["collectionReference"] == "$['result']['items']"
    assert items["helpdesk.agents"]["pagination"]["QueryParameters.{offset}"] == "RANGE:0:2000:50"


def test_it_runs_locally_through_a_real_http_api(project: Path, built: Path) -> None:
    report_file = project / "report.json"
    assert main(["run", "land_helpdesk", "--project", str(project), "--report", str(report_file)]) == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    copies = {a["activity"].split("/")[0]: a for a in report["activities"] if a["type"] == "Copy"}
    drop = project / ".wharf" / "lake" / "drop-helpdesk"
    for entity in ("tickets", "agents"):
        copy = copies[f"land_helpdesk__{entity}"]
        pages = sorted((drop / entity).glob("page-*.json")) if drop.exists() else []
        served = sum(len(_records(json.loads(p.read_text()), entity)) for p in pages)
        landed = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{project}/.wharf/lake/landing/helpdesk/"
                            f"{entity}/**/*.parquet')").fetchone()[0]
        assert len(pages) >= 2 and copy["rows_read"] == served > 0, (entity, copy)
        assert copy["rows_written"] + copy["rows_rejected"] == served and landed == copy["rows_written"]
    nested = duckdb.sql(f"SELECT COUNT(requester) FROM read_parquet('{project}/.wharf/lake/landing/helpdesk/"
                        f"tickets/**/*.parquet')").fetchone()[0]
    assert nested > 0  # read at requester.email, inside each record
    notes = " ".join(report["not_verified_locally"])
    assert "REST API's authentication" in notes and "rate limits" in notes


def _records(body: dict, entity: str) -> list:
    return body["data"] if entity == "tickets" else body["result"]["items"]


def _entity(project: Path, pagination: dict, path: str = "things") -> object:
    from lakewharf.model.catalog import Column, Entity
    from lakewharf.model.types import DataType

    columns = (Column("id", DataType.parse("int"), nullable=False), Column("name", DataType.parse("string(20)")))
    return Entity("s", "things", None, path, "full", None, columns,
                  api={"records": "items", "pagination": pagination, "fields": {"name": "who.name"}})


def _pages(*pages: list) -> list[bytes]:
    return [json.dumps({"items": p, "links": {"next": "https://elsewhere.example/never-followed"}}).encode()
            for p in pages]


def test_the_client_follows_each_rule_and_refuses_non_objects(project: Path) -> None:
    pages = _pages([{"id": 1, "who": {"name": "a"}}, {"id": "x"}], [{"id": 3}, 7], [{"id": 5}])
    rows, refused, records, requests, stopped = read_api(pages, _entity(project, {"AbsoluteUrl": "$.links.next"}))
    assert (records, requests, rows.num_rows, refused.num_rows, stopped) == (5, 3, 4, 1, None)
    assert rows.column("name").to_pylist()[0] == "a" and rows.column("id").to_pylist()[1] == "x"
    assert "not an object" in refused.column("reason")[0].as_py()
    ranged = _entity(project, {"QueryParameters.{offset}": "RANGE:0:100:2"}, "things?offset={offset}")
    rows, _, records, requests, stopped = read_api(pages, ranged)
    assert (records, requests, stopped) == (5, 51, None)  # the range runs to its end: empty pages after the data
    ended = _entity(project, {"QueryParameters.offset": "RANGE:0:100:2", "EndCondition:$.items": "Empty"})
    assert read_api(pages, ended)[2:] == (5, 4, None)
    short = _entity(project, {"QueryParameters.offset": "RANGE:0:2:2"})
    assert read_api(pages, short)[2:4] == (4, 2) and "ended at 2 while the API still returned" in read_api(
        pages, short)[4]
    capped = _entity(project, {"AbsoluteUrl": "$.links.next", "MaxRequestNumber": 2})
    assert read_api(pages, capped)[2:4] == (4, 2) and "MaxRequestNumber 2 stopped" in read_api(pages, capped)[4]


def _errors(project: Path, tmp_path: Path, old: str, new: str) -> list[str]:
    return catalog_errors(project, tmp_path, HELPDESK, old, new)


@pytest.mark.parametrize(("old", "new", "line", "says"), [
    ("{AbsoluteUrl: $.links.next}", "{AbsoluteUrl: next}", 14, "AbsoluteUrl takes the body path"),
    ("RANGE:0:2000:50", "RANGE:0:2000", 26, "is not a range rule"),
    ("{Accept-Language: en}", "{Authorization: Bearer abc}", 15, "carries a credential"),
    ("connection: {secret: helpdesk-api-client-secret}\n", "", 1, "it needs connection.secret"),
    ("  aad_resource_id: https://helpdesk.example.com\n", "", 4, "needs options.aad_resource_id"),
    ("    load: {mode: full}\n    columns:\n      ticket_id",
     "    load: {mode: incremental, watermark: opened_at}\n    columns:\n      ticket_id", 17, "loads in full"),
    ("    records: data\n", "", 12, "needs 'records'"),
])
def test_bad_options_are_located_errors(project: Path, tmp_path: Path, old: str, new: str, line: int,
                                        says: str) -> None:
    errors = _errors(project, tmp_path, old, new)
    assert len(errors) == 1 and says in errors[0], errors
    assert errors[0].startswith(f"catalog/sources/helpdesk.yaml:{line}:"), errors


def test_a_secret_value_inline_is_refused(project: Path, tmp_path: Path) -> None:
    errors = _errors(project, tmp_path, "  auth: service_principal\n",
                     "  auth: service_principal\n  client_secret: s3cr3t-value-here\n")
    assert any("holds a secret value inline" in e for e in errors), errors


def test_other_kinds_refuse_api_fields(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "other"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".wharf", "build"))
    shop = copy / "catalog" / "sources" / "shop.yaml"
    text = shop.read_text(encoding="utf-8")
    shop.write_text(text.replace("    table:", "    records: data\n    table:", 1), encoding="utf-8")
    with pytest.raises(CatalogInvalid) as info:
        load_catalog(copy)
    assert any("entity takes no 'records'" in str(e) for e in info.value.errors)


def _run(root: Path, local: str) -> dict:
    (root / "local.yaml").write_text(local, encoding="utf-8")
    report_file = root / "report.json"
    assert main(["run", "land_helpdesk", "--project", str(root), "--report", str(report_file)]) == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return {a["activity"].split("/")[0].removeprefix("land_helpdesk__"): a
            for a in report["activities"] if a["type"] == "Copy"}


def test_a_bound_folder_of_responses_is_served_and_bad_records_rejected(project: Path, tmp_path: Path) -> None:
    root = tmp_path / "bound"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns(".wharf", "build", "report.json"))
    pages = root / "api"
    (pages / "tickets").mkdir(parents=True)
    (pages / "agents").mkdir()
    ticket = {"id": 1, "requester": {"email": "a@example.com"}, "priority": 2, "created": "2026-11-01T10:00:00"}
    bodies = [[ticket, {**ticket, "id": 2, "priority": "high"}], [{**ticket, "id": 3}, "not a record"]]
    for number, records in enumerate(bodies, start=1):  # the links the API wrote are the server's to replace
        body = {"data": records, "links": {"next": "https://helpdesk.example.com/api/v2/tickets?page=9"}}
        (pages / "tickets" / f"page-{number:05d}.json").write_text(json.dumps(body), encoding="utf-8")
    agents = {"result": {"items": [{"agent_id": 7, "name": "Ada", "hired_on": "2024-02-30"}]}}
    (pages / "agents" / "page-00001.json").write_text(json.dumps(agents), encoding="utf-8")
    copies = _run(root, "sources:\n  helpdesk: {folder: api}\n")
    tickets, agents_copy = copies["tickets"], copies["agents"]
    assert (tickets["rows_read"], tickets["rows_written"], tickets["rows_rejected"]) == (4, 2, 2), tickets
    assert (agents_copy["rows_read"], agents_copy["rows_written"], agents_copy["rows_rejected"]) == (1, 0, 1)
    assert len(list(pages.rglob("*.json"))) == 3  # the user's files are read in place, never changed


def test_fixtures_become_the_pages_the_api_serves(project: Path, tmp_path: Path) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns(".wharf", "build", "report.json"))
    data = root / "data" / "helpdesk"
    data.mkdir(parents=True)
    rows = "\n".join(f"{i},agent{i},2024-01-{1 + i % 28:02d}" for i in range(1, 121))
    (data / "agents.csv").write_text("agent_id,name,hired_on\n" + rows + "\n", encoding="utf-8")
    (data / "tickets.csv").write_text("ticket_id,requester,priority,opened_at\n1,a@example.com,1,2026-11-01 10:00:00\n",
                                      encoding="utf-8")
    copies = _run(root, "sources:\n  helpdesk: {fixtures: data/helpdesk}\n")
    assert copies["agents"]["rows_read"] == copies["agents"]["rows_written"] == 120  # three pages of 50
    assert copies["tickets"]["rows_written"] == 1


def test_every_auth_makes_a_linked_service_the_data_factory_models_accept(tmp_path: Path) -> None:
    from lakewharf.generate.adf.linked_services import platform_linked_services, source_linked_service
    from lakewharf.sources.rest import AUTH
    from lakewharf.verify.adf_models import check_adf_tree

    folder = tmp_path / "adf" / "linkedService"
    folder.mkdir(parents=True)
    docs = [d for d in platform_linked_services(None) if d["name"] == "ls_key_vault"]  # type: ignore[arg-type]
    docs += [source_linked_service(f"rest_{auth}") for auth in AUTH]
    for doc in docs:
        (folder / f"{doc['name']}.json").write_text(json.dumps(doc), encoding="utf-8")
    assert check_adf_tree(tmp_path / "adf") == []
    kinds = {d["name"]: d["properties"]["typeProperties"] for d in docs[1:]}
    assert kinds["ls_src_rest_basic"]["password"]["type"] == "AzureKeyVaultSecret"
    assert kinds["ls_src_rest_managed_identity"]["authenticationType"] == "ManagedServiceIdentity"
    assert "password" not in json.dumps(kinds["ls_src_rest_anonymous"]) and "Key" not in json.dumps(
        kinds["ls_src_rest_managed_identity"])
