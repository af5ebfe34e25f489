"""A worker process loads what every batch reads before its first task."""

import pytest

from risk.models import WatchlistEntry


@pytest.fixture(autouse=True)
def _heap_left_alone(monkeypatch):
    # The real settle() freezes the test process's heap; what is tested here is the warm-up.
    monkeypatch.setattr("customs_ecom.heap.settle", lambda: None)


@pytest.mark.django_db(transaction=True)
def test_worker_process_start_builds_the_watchlist_index_and_rule_set():
    from customs_ecom.celery import _prepare_process
    from risk import services

    WatchlistEntry.objects.create(list_name="test", name="Acme Shady Exports")
    services._watchlist_cache.update(stamp=None, index=None, generation=None, checked=0.0)

    _prepare_process()

    index = services._watchlist_cache["index"]
    assert index is not None and len(index.entries) == 1
    assert services.active_ruleset() is not None


@pytest.mark.django_db(transaction=True)
def test_warm_up_failure_leaves_the_worker_to_load_on_demand(monkeypatch, caplog):
    from customs_ecom import celery as worker_app
    from risk import services

    def broken():
        raise RuntimeError("relation does not exist")

    monkeypatch.setattr(services, "active_ruleset", broken)
    worker_app._prepare_process()  # no exception: a worker must start even before migrate
    assert "worker warm-up skipped" in caplog.text
