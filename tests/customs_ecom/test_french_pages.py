"""The main pages read in French: no English sentence of the catalogues is left on them.

The heuristic: every English msgid of the project's catalogues that French translates
differently must not appear as visible text on a page rendered in French (whole text nodes for
short msgids, anywhere in a text node for msgids of three words or more). Generated text (rule
explanations, data-quality findings, legal reasons) is checked by its own French rendering.
"""

from __future__ import annotations

import copy
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from aeo.models import Operator
from declarations.models import Declaration
from declarations.services import declarations_submit
from revenue.models import Regime
from risk.services.rulesets import active_ruleset

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
HIDDEN = {"script", "style", "code", "pre", "textarea"}


def english_msgids() -> set[str]:
    """English msgids of the project's French catalogues whose translation differs."""
    found: set[str] = set()
    for mo in ROOT.glob("**/locale/fr/LC_MESSAGES/django.mo"):
        if ".venv" in mo.parts:
            continue
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001
        for msgid, msgstr in catalogue.items():
            if not isinstance(msgid, str) or not msgid or "\x04" in msgid:
                continue
            if msgstr == msgid:
                continue
            chunks = [" ".join(c.split()) for c in PLACEHOLDER.split(msgid)]
            if len(chunks) > 1:  # a sentence with placeholders: its literal stretches of words
                chunks = [c for c in chunks if c.count(" ") >= 2]
            found.update(c for c in chunks if len(c) >= 4 and re.search(r"[A-Za-z]{3}", c))
    return found


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if name in {"placeholder", "title", "aria-label"} and value:
                self.nodes.append(" ".join(value.split()))

    def handle_endtag(self, tag):
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.hidden:
            self.nodes.append(text)


def english_left(page: str, msgids: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(page)
    left = set()
    for index, node in enumerate(parser.nodes):
        for msgid in msgids:
            if node == msgid or (msgid.count(" ") >= 2 and msgid in node):
                around = " | ".join(parser.nodes[max(0, index - 2) : index + 2])
                left.add(f"{msgid!r} in: {around[:120]}")
    return sorted(left)


@pytest.fixture
def french_client(db):
    user = get_user_model().objects.create_superuser("chef", password="pw-for-tests-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)
    return client


@pytest.fixture
def consignments(operator_a, example, django_capture_on_commit_callbacks):
    bodies = []
    for n, change in enumerate(
        [
            {},
            {"items": [{**example["items"][0], "description": "gift", "value": "1"}]},
            {"category": "gift"},
        ]
    ):
        body = copy.deepcopy(example)
        body["lrn"] = f"FR-WALK-{n}"
        body.update(change)
        body.pop("order", None) if change else None
        bodies.append(body)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = declarations_submit(operator=operator_a.operator, bodies=bodies)
    assert all(o.status == 201 for o in outcomes), [o.errors for o in outcomes]
    return [Declaration.objects.get(pk=o.declaration.pk) for o in outcomes]


def _pages(consignments) -> list[str]:
    regime = Regime.objects.order_by("pk").first()
    operator = Operator.objects.order_by("pk").first()
    ruleset = active_ruleset()
    pages = [
        "/queue/",
        "/dashboard/",
        "/risk/",
        "/risk/policy/",
        "/risk/watchlist/",
        "/risk/rules/undervaluation/",
        "/risk/rules/high_risk_origin/",
        "/revenue/regimes/",
        "/revenue/statements/",
        "/revenue/reconciliation/",
        "/revenue/tax-schemes/",
        "/revenue/verification/",
        "/revenue/estimate/",
        "/registry/",
        "/registry/authorisations/",
        "/registry/benefits/",
        f"/registry/operators/{operator.pk}/",
        "/consignments/",
        "/consignments/?work=unassigned",
        "/search/?q=FR-WALK",
        "/workload/",
        "/workload/claims/",
        "/workload/targets/",
        "/imports/",
        "/audit/",
    ]
    pages += [f"/consignments/{d.pk}/" for d in consignments]
    pages += [f"/consignments/{d.pk}/report/?format=html" for d in consignments]
    pages += [f"/revenue/declarations/{d.pk}/" for d in consignments]
    if regime is not None:
        pages.append(f"/revenue/regimes/{regime.pk}/")
    if ruleset is not None:
        pages.append(f"/risk/versions/{ruleset.version}/backtest/")
        pages.append(f"/risk/versions/{ruleset.version}/")
    return pages


def test_main_pages_in_french_leave_no_english_sentence(french_client, consignments):
    msgids = english_msgids()
    assert len(msgids) > 300  # the heuristic has a catalogue to work with
    problems = {}
    for url in _pages(consignments):
        response = french_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="fr"' in page, url
        left = english_left(page, msgids)
        if left:
            problems[url] = left
    assert problems == {}, problems


def test_the_heuristic_catches_an_english_sentence():
    msgids = {"Nothing needs action", "Rules"}
    page = "<p>Rien</p><p>Nothing needs action. Well done.</p><script>Rules</script>"
    assert english_left(page, msgids) == [
        "'Nothing needs action' in: Rien | Nothing needs action. Well done."
    ]
