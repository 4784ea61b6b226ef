"""Write the MLTable an automated ML step reads, for the training folder an invocation passes.

    python mltable.py --spec specs/churn.json --data URI --table DIR

Automated ML only reads tables as MLTable, while the training batch endpoint takes the model
dataset's lake folder (``training_data``, a uri_folder: what Data Factory sends). The pipeline's
first step therefore receives that folder in ``direct`` mode, i.e. as its URI rather than a mount,
and writes ``DIR/MLTable``: the folder's Parquet files, only the spec's features and label (so keys
and other columns never become features). Nothing is copied; the next step reads the lake itself.
The file is JSON, which is also YAML (the MLTable format):
https://learn.microsoft.com/azure/machine-learning/reference-yaml-mltable
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def load_spec(path: str) -> dict[str, Any]:
    """Like lakewharf_ml.load_spec, without importing pandas for a two-line file."""
    candidate = Path(path)
    if not candidate.is_absolute() and not candidate.exists():
        candidate = Path(__file__).resolve().parent / candidate
    spec = json.loads(candidate.read_text(encoding="utf-8"))
    if spec.get("format") != 1:
        raise ValueError(f"{candidate}: unsupported spec format {spec.get('format')!r}")
    return spec


def mltable(spec: dict[str, Any], data: str) -> dict[str, Any]:
    if not spec.get("label"):
        raise ValueError(f"{spec['model']}: automated ML needs a label column")
    columns = [feature["name"] for feature in spec["features"]] + [spec["label"]["name"]]
    return {
        "type": "mltable",
        "paths": [{"pattern": data.rstrip("/") + "/*.parquet"}],
        "transformations": ["read_parquet", {"keep_columns": columns}],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="specs/<model>.json (relative to this folder or cwd)")
    parser.add_argument("--data", required=True, help="URI of the training folder (input mode direct)")
    parser.add_argument("--table", required=True, help="output folder that receives the MLTable file")
    args = parser.parse_args(argv)
    table = Path(args.table)
    table.mkdir(parents=True, exist_ok=True)
    text = json.dumps(mltable(load_spec(args.spec), args.data), indent=2) + "\n"
    (table / "MLTable").write_text(text, encoding="utf-8")
    print(f"MLTable for {args.data} written to {table / 'MLTable'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
