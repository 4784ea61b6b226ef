"""The one reader of the generated Data Factory tree: the golden ``build/adf`` + ``build/control``
read in deployment order, each broken tree refused naming its file, datasets resolved as an
activity sees them (what the local runner executes and the infra program deploys)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lakewharf.artifacts.adf_tree import (
    DEFAULT_GLOBAL_PARAMETERS,
    KINDS,
    AdfTree,
    AdfTreeError,
    load_adf_tree,
    plain,
    read_control_files,
)
from lakewharf.errors import WharfError
from lakewharf.generate.adf.common import GLOBAL_PARAMETERS

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


@pytest.fixture(scope="module")
def golden() -> AdfTree:
    return load_adf_tree(GOLDEN / "adf")


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A private copy of the golden build/ (adf + control) a test may break."""
    for part in ("adf", "control"):
        shutil.copytree(GOLDEN / part, tmp_path / "build" / part)
    return tmp_path / "build"


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def test_every_generated_file_is_one_object_in_deployment_order(golden: AdfTree) -> None:
    files = sorted((p.parent.name, p.stem) for kind in KINDS for p in (GOLDEN / "adf" / kind).glob("*.json"))
    assert sorted(o.key for o in golden.objects) == files
    order = [o.key for o in golden.objects]
    for obj in golden.objects:
        for ref in obj.references:
            assert order.index(ref) < order.index(obj.key), f"{obj.path} deployed before {ref}"
    assert golden.factory_file == "golden/adf/factory/retail.json"  # labelled from the folder above build/
    assert set(golden.global_parameters) == set(GLOBAL_PARAMETERS)


def test_without_a_factory_file_the_generators_global_parameters_are_assumed(build: Path) -> None:
    shutil.rmtree(build / "adf" / "factory")
    tree = load_adf_tree(build / "adf")
    assert tree.factory_file is None
    assert tuple(tree.global_parameters) == DEFAULT_GLOBAL_PARAMETERS == tuple(GLOBAL_PARAMETERS)


def test_the_control_files_are_read_beside_build_adf(golden: AdfTree, tmp_path: Path) -> None:
    assert [f.path for f in golden.control_files] == sorted(
        p.relative_to(GOLDEN / "control").as_posix() for p in (GOLDEN / "control").glob("*/*.json"))
    first = golden.control_files[0]
    assert first.content == (GOLDEN / "control" / first.path).read_text(encoding="utf-8")
    assert read_control_files(tmp_path / "nothing") == ()


def test_a_reference_to_a_missing_object_fails_with_its_file(build: Path) -> None:
    (build / "adf" / "dataset" / "ds_lake_binary.json").unlink()
    with pytest.raises(AdfTreeError, match=r"build/adf/pipeline/wk_\w+\.json: refers to dataset 'ds_lake_binary'"):
        load_adf_tree(build / "adf")


def test_a_pipeline_reference_cycle_fails(build: Path) -> None:
    def execute(name: str, target: str) -> dict[str, Any]:
        return {"name": name, "properties": {"activities": [{
            "name": "run", "type": "ExecutePipeline", "dependsOn": [],
            "typeProperties": {"pipeline": {"referenceName": target, "type": "PipelineReference"}}}]}}
    _write(build / "adf" / "pipeline" / "pl_a.json", execute("pl_a", "pl_b"))
    _write(build / "adf" / "pipeline" / "pl_b.json", execute("pl_b", "pl_a"))
    with pytest.raises(AdfTreeError, match="reference cycle pl_a → pl_b → pl_a"):
        load_adf_tree(build / "adf")


@pytest.mark.parametrize(("rel", "content", "message"), [
    ("pipeline/wk_load.json", "{not json", r"pipeline/wk_load\.json: cannot read JSON"),
    ("pipeline/wk_load.json", '{"name": "wk_load"}', r"wk_load\.json: expected \{\"name\""),
    ("pipeline/wk_load.json", '{"name": "wk_other", "properties": {}}', "does not match the file name"),
    ("pipeline/wk_load.json", '{"name": "wk_load", "properties": {"activites": []}}',
     r"pipeline properties \['activites'\] are not deployable"),
    ("factory/second.json", '{"name": "second", "properties": {}}', "expected one factory file, found 2"),
])
def test_a_broken_file_is_refused_naming_it(build: Path, rel: str, content: str, message: str) -> None:
    (build / "adf" / rel).write_text(content, encoding="utf-8")
    with pytest.raises(AdfTreeError, match=message):
        load_adf_tree(build / "adf")


def test_no_build_adf_says_to_generate_first(tmp_path: Path) -> None:
    with pytest.raises(AdfTreeError, match="run `wharf generate`, review build/, then deploy") as caught:
        load_adf_tree(tmp_path / "build" / "adf")
    assert isinstance(caught.value, WharfError)  # the CLI reports it in one line, exit 1


def test_trigger_dependencies_order_triggers(build: Path) -> None:
    """A tumbling window trigger that depends on another trigger is created after it."""
    def window(name: str, after: str | None) -> dict[str, Any]:
        props: dict[str, Any] = {"frequency": "Hour", "interval": 1, "startTime": "2026-01-01T00:00:00Z",
                                 "maxConcurrency": 1}
        if after:
            props["dependsOn"] = [{"type": "TumblingWindowTriggerDependencyReference",
                                   "referenceTrigger": {"referenceName": after, "type": "TriggerReference"}}]
        return {"name": name, "properties": {"type": "TumblingWindowTrigger", "typeProperties": props, "pipeline": {
            "pipelineReference": {"referenceName": "pl_nightly", "type": "PipelineReference"}}}}
    _write(build / "adf" / "trigger" / "tr_a_after.json", window("tr_a_after", "tr_z_first"))
    _write(build / "adf" / "trigger" / "tr_z_first.json", window("tr_z_first", None))
    tree = load_adf_tree(build / "adf")
    after = tree.get("trigger", "tr_a_after")
    assert ("trigger", "tr_z_first") in after.references and ("pipeline", "pl_nightly") in after.references
    order = [o.name for o in tree.objects]
    assert order.index("tr_z_first") < order.index("tr_a_after")
    assert after.summary() == "TumblingWindowTrigger → pl_nightly"


def test_a_dataset_is_resolved_with_the_values_its_activity_passes(golden: AdfTree) -> None:
    ds = golden.dataset({"referenceName": "ds_lake_parquet", "type": "DatasetReference", "parameters": {
        "lake_dfs_endpoint": "https://lake.dfs.core.windows.net", "filesystem": "raw",
        "folder": {"value": "crm/customers", "type": "Expression"}}})
    assert (ds.name, ds.type, ds.linked_service) == ("ds_lake_parquet", "Parquet", "ls_lake")
    assert (ds.filesystem, ds.folder, ds.file) == ("raw", "crm/customers", None)
    assert ds.properties["compressionCodec"] == "snappy" and ds.properties["table"] is None
    table = golden.dataset({"referenceName": "ds_src_sqlserver", "parameters": {"schema": "dbo", "table": "orders"}})
    assert (table.properties["schema"], table.properties["table"]) == ("dbo", "orders")
    assert table.filesystem is None and table.linked_service == "ls_src_sqlserver"


def test_a_dataset_parameter_keeps_its_type_whole_and_becomes_text_inside_a_string(build: Path) -> None:
    _write(build / "adf" / "dataset" / "ds_try.json", {"name": "ds_try", "properties": {
        "type": "DelimitedText", "linkedServiceName": {"referenceName": "ls_lake", "type": "LinkedServiceReference"},
        "parameters": {"header": {"type": "Bool", "defaultValue": True}, "day": {"type": "String"}},
        "typeProperties": {"firstRowAsHeader": {"value": "@dataset().header", "type": "Expression"},
                           "location": {"type": "AzureBlobFSLocation", "fileSystem": "landing",
                                        "folderPath": {"value": "sales/@{dataset().day}/x", "type": "Expression"}}}}})
    tree = load_adf_tree(build / "adf")
    ds = tree.dataset({"referenceName": "ds_try", "parameters": {"day": "2026-01-02"}})
    assert ds.properties["firstRowAsHeader"] is True  # the declared default, not the text "True"
    assert (ds.filesystem, ds.folder) == ("landing", "sales/2026-01-02/x")


def test_an_unknown_dataset_is_a_clear_error(golden: AdfTree) -> None:
    with pytest.raises(AdfTreeError, match="dataset 'ds_nothing' is not in"):
        golden.dataset({"referenceName": "ds_nothing"})


def test_plain_unwraps_expression_objects_without_the_framework() -> None:
    value = {"a": {"value": "x", "type": "Expression"}, "b": [1, {"value": "@y", "type": "Expression"}],
             "c": {"type": "Expression", "value": "z", "extra": 1}}
    assert plain(value) == {"a": "x", "b": [1, "@y"], "c": {"type": "Expression", "value": "z", "extra": 1}}
