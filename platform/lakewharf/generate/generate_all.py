"""Run every generator in registry order and collect their artifacts.

Later generators may read earlier artifacts (``built``): the Data Factory generator embeds the
very SQL batches that the Synapse files hold, so what is reviewed is what is deployed.
"""

from __future__ import annotations

import importlib
import inspect

import jinja2

from lakewharf.errors import CatalogError, CatalogInvalid
from lakewharf.generate import GENERATORS
from lakewharf.generate.artifact import Artifact
from lakewharf.generate.snapshot import contract_artifact
from lakewharf.generate.templates import template_environment
from lakewharf.generate.writer import DuplicateArtifact, manifest_artifact
from lakewharf.model.catalog import Catalog


def generate_all(catalog: Catalog) -> list[Artifact]:
    """Every artifact for ``catalog``, manifest last. A broken template raises ``CatalogInvalid``."""
    try:
        return _generate_all(catalog)
    except jinja2.TemplateNotFound as exc:
        raise CatalogInvalid([CatalogError(f"templates/{exc.name}", 0, 0, (), "template not found",
                                           "the project's templates/ folder holds the SQL and script templates; "
                                           "restore it from the lakewharf sample")]) from None
    except jinja2.TemplateSyntaxError as exc:
        raise CatalogInvalid([CatalogError(f"templates/{exc.name}", exc.lineno, 1, (),
                                           f"template syntax error: {exc.message}")]) from None
    except jinja2.UndefinedError as exc:
        raise CatalogInvalid([CatalogError("templates/", 0, 0, (), f"template uses an unknown value: {exc.message}",
                                           "check the variable names the template uses")]) from None


def _generate_all(catalog: Catalog) -> list[Artifact]:
    env = template_environment(catalog.root)
    built: dict[str, Artifact] = {}
    for name, module_path in GENERATORS.items():
        module = importlib.import_module(module_path)
        generate = module.generate
        takes_built = "built" in inspect.signature(generate).parameters
        artifacts = generate(catalog, env, built=dict(built)) if takes_built else generate(catalog, env)
        for artifact in artifacts:
            if artifact.path in built:
                raise DuplicateArtifact(f"{name} wrote {artifact.path}, which another generator wrote")
            built[artifact.path] = artifact
    contract = contract_artifact(catalog)
    built[contract.path] = contract
    artifacts = sorted(built.values(), key=lambda a: a.path)
    return [*artifacts, manifest_artifact(artifacts)]
