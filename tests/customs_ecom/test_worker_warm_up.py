"""A worker loads what every batch reads before its first task (customs_ecom.celery._warm_up, run
by the main worker process before it forks its pool; the real worker tests run it for real)."""

import pytest

from risk.models import WatchlistEntry


@pytest.fixture(autouse=True)
def _fresh_watchlist_cache():
    # The index built here belongs to this test's rows: no later test may be served it.
    from risk.services import watchlists

    watchlists._watchlist_cache.update(stamp=None, index=None, generation=None, checked=0.0)
    yield
    watchlists._watchlist_cache.update(stamp=None, index=None, generation=None, checked=0.0)


@pytest.mark.django_db
def test_worker_process_start_builds_the_watchlist_index_and_rule_set():
    from customs_ecom.celery import _warm_up
    from risk.services import rulesets, watchlists

    WatchlistEntry.objects.create(list_name="test", name="Acme Shady Exports")

    _warm_up()

    index = watchlists._watchlist_cache["index"]
    assert index is not None and len(index.entries) == 1
    assert rulesets.active_ruleset() is not None


@pytest.mark.django_db
def test_warm_up_failure_leaves_the_worker_to_load_on_demand(monkeypatch, caplog):
    from customs_ecom import celery as worker_app
    from risk.services import rulesets

    def broken():
        raise RuntimeError("relation does not exist")

    monkeypatch.setattr(rulesets, "active_ruleset", broken)
    worker_app._warm_up()  # no exception: a worker must start even before migrate
    assert "worker warm-up skipped" in caplog.text
