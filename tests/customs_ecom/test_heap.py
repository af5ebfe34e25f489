"""The collector pause around bulk work (customs_ecom.platform.heap.collector_paused)."""

from __future__ import annotations

import gc

import pytest

from customs_ecom.platform.heap import collector_paused


@pytest.fixture(autouse=True)
def _collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_in_the_block_and_on_again_after_it():
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer block switches it back on, not this one
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_exception():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_no_pause_asked_or_collector_already_off_leaves_it_as_it_was():
    with collector_paused(False):
        assert gc.isenabled()
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_batch_is_stored_with_the_collector_paused_and_it_runs_again_after(monkeypatch):
    """A batch of the COPY threshold's size is validated and stored without a collection; a
    single declaration is not worth the switch."""
    from declarations.services import intake

    seen = []

    def spy(operator, bodies):
        seen.append(gc.isenabled())
        return []

    monkeypatch.setattr(intake, "_submit", spy)
    intake.declarations_submit(operator=None, bodies=[{}] * intake.COPY_THRESHOLD)
    intake.declarations_submit(operator=None, bodies=[{}])
    assert seen == [False, True] and gc.isenabled()
