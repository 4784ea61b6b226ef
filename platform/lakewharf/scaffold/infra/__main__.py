"""Pulumi program entry point: stack config + catalog/ + build/adf → the platform.

Kept thin on purpose: everything lives in ``lakewharf.infra`` (see ``program.main``), where
``wharf plan`` and the tests run the same code offline under mocks.
"""

from pathlib import Path

from lakewharf.infra.program import main

main(Path(__file__).resolve().parents[1])  # the project folder: Pulumi.yaml, catalog/, build/
