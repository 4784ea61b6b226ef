"""``command_catalog``: a command's catalog loads with the collector paused; a one-shot ``wharf``
process then freezes it out of later collections (``cli.heap``), a process that lives on does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakewharf.cli import heap
from lakewharf.cli.command_catalog import command_catalog
from lakewharf.errors import CatalogInvalid

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """Each test starts with nothing frozen and leaves the pytest process as it found it."""
    gc.unfreeze()
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if was_enabled else gc.disable)()


def test_the_collector_is_paused_while_the_catalog_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    import lakewharf.cli.command_catalog as module

    paused_during_load = []
    real = module.load_catalog

    def spying(project: Path | None) -> object:
        paused_during_load.append(not gc.isenabled())
        return real(project)

    monkeypatch.setattr(module, "load_catalog", spying)
    assert command_catalog(ROOT).tables and paused_during_load == [True]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # this process lives on: it keeps collecting


def test_a_one_shot_process_freezes_its_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_one_shot", True)
    monkeypatch.setattr(heap, "FINALISED_AT_EXIT", ("lakewharf_test_not_loaded",))
    command_catalog(ROOT)
    assert gc.isenabled() and gc.get_freeze_count() > 0


def test_nor_once_a_library_needing_finalisers_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_one_shot", True)
    monkeypatch.setattr(heap, "FINALISED_AT_EXIT", ("pytest",))  # loaded here, as duckdb would be
    command_catalog(ROOT)
    assert gc.get_freeze_count() == 0


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    command_catalog(ROOT)
    assert not gc.isenabled()


def test_a_catalog_that_does_not_load_freezes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_one_shot", True)
    with pytest.raises(CatalogInvalid):
        command_catalog(tmp_path)
    assert gc.isenabled() and gc.get_freeze_count() == 0
