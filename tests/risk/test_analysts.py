"""Analysts' tools: rule parameters as typed fields, the diff of two versions, activation with
a reason, a confirmation and a second person, the warning on an older draft, and back-tests that
find no change when a version is compared with itself."""

from __future__ import annotations

import copy

import pytest
from django.forms import CheckboxInput
from django.test import Client

from customs_ecom.platform.models import AuditEvent
from declarations.models import Declaration
from declarations.services import declarations_submit
from risk import approval
from risk.forms import LinesField, MappingField, RecordsField, RuleForm
from risk.models import RuleSet
from risk.rules import RULES
from risk.selectors import backtest
from risk.services.rulesets import active_ruleset, ruleset_create_version, ruleset_edit_rule
from risk.versions import ruleset_diff
from tests.examples import example_for

pytestmark = pytest.mark.django_db


def login(customs_user, role: str, username: str | None = None) -> Client:
    client = Client()
    client.force_login(customs_user(role, username) if username else customs_user(role))
    return client


def form_post(code: str, **overrides) -> dict:
    """What the browser posts for a rule's form left as it is shown, with ``overrides``."""
    ruleset = active_ruleset()
    current = next(r for r in ruleset.rules if r["code"] == code)
    form = RuleForm(code=code, current=current)
    data: dict = {"note": "tuning"}
    for bound in form:
        field = bound.field
        value = field.prepare_value(bound.initial)
        if isinstance(field.widget, CheckboxInput):
            if value:
                data[bound.name] = "on"
        elif isinstance(value, list):
            data[bound.name] = [str(v) for v in value]
        elif value is None:
            data[bound.name] = ""
        else:
            data[bound.name] = str(value)
    data["note"] = "tuning"  # saving asks for a reason
    data.update(overrides)
    return data


def test_no_rule_parameter_is_edited_as_raw_json():
    for code, rule in RULES.items():
        form = RuleForm(code=code, current={"code": code, "params": {}})
        assert not [f.label for f in form.fields.values() if "(JSON)" in str(f.label)], code


def test_every_rule_parameter_has_a_written_label_in_english_and_french():
    from typing import get_args

    from django.utils import translation
    from pydantic import BaseModel

    from risk.forms import PARAM_LABELS

    names = set()
    for rule in RULES.values():
        for name, info in rule.params_model.model_fields.items():
            names.add(name)
            for arg in get_args(info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    names.update(arg.model_fields)
    assert names - {"min_channel"} <= set(PARAM_LABELS), names - set(PARAM_LABELS)
    with translation.override("en"):
        english = {name: str(label) for name, label in PARAM_LABELS.items()}
    with translation.override("fr"):
        same = [name for name, label in PARAM_LABELS.items() if str(label) == english[name]]
    assert same == ["score"]  # "Score" in French too


def test_rule_form_labels_read_as_words_with_their_units(customs_user):
    analyst = login(customs_user, "risk_analyst")
    english = analyst.get("/risk/rules/splitting/").content.decode()
    assert "Ceiling (EUR)" in english and "Window (hours)" in english
    assert "Ceiling eur" not in english and "Window hours" not in english
    french = analyst.get("/risk/rules/splitting/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Plafond (EUR)" in french and "Fenêtre (heures)" in french
    origin = analyst.get("/risk/rules/high_risk_origin/").content.decode()
    assert "HS prefix | Countries | Reason" in origin


def test_list_mapping_and_record_parameters_get_typed_fields():
    form = RuleForm(code="prohibited_goods_hs", current={"code": "prohibited_goods_hs"})
    assert isinstance(form.fields["hs_prefixes"], MappingField)
    form = RuleForm(code="high_risk_origin", current={"code": "high_risk_origin"})
    assert isinstance(form.fields["rules"], RecordsField)
    form = RuleForm(code="luxury_brand_low_value", current={"code": "luxury_brand_low_value"})
    assert isinstance(form.fields["hs_chapters"], LinesField)
    form = RuleForm(code="watchlist_screening", current={"code": "watchlist_screening"})
    assert form.fields["roles"].widget.input_type == "checkbox"


@pytest.mark.parametrize("code", list(RULES))
def test_every_rule_form_posted_unchanged_keeps_its_parameters(code, customs_user):
    analyst = login(customs_user, "risk_analyst")
    before = next(r for r in active_ruleset().rules if r["code"] == code)
    answer = analyst.post(f"/risk/rules/{code}/", form_post(code))
    assert answer.status_code == 302, answer.context["form"].errors
    draft = RuleSet.objects.order_by("-version").first()
    after = next(r for r in draft.rules if r["code"] == code)
    assert after["params"] == RULES[code].params_model.model_validate(before["params"]).model_dump(
        mode="json"
    )


def test_typed_fields_write_lists_mappings_and_records(customs_user):
    analyst = login(customs_user, "risk_analyst")
    answer = analyst.post(
        "/risk/rules/high_risk_origin/",
        form_post(
            "high_risk_origin",
            rules="871160 | CN, VN | EU anti-dumping duties on e-bikes\n"
            "8712 | CN | EU anti-dumping duty on bicycles",
        ),
    )
    assert answer.status_code == 302
    draft = RuleSet.objects.order_by("-version").first()
    params = next(r for r in draft.rules if r["code"] == "high_risk_origin")["params"]
    assert params["rules"][0] == {
        "hs_prefix": "871160",
        "countries": ["CN", "VN"],
        "reason": "EU anti-dumping duties on e-bikes",
    }
    answer = analyst.post(
        "/risk/rules/prohibited_goods_hs/",
        form_post("prohibited_goods_hs", hs_prefixes="9301 = military weapons\n97 = art"),
    )
    assert answer.status_code == 302
    draft = RuleSet.objects.order_by("-version").first()
    params = next(r for r in draft.rules if r["code"] == "prohibited_goods_hs")["params"]
    assert params["hs_prefixes"] == {"9301": "military weapons", "97": "art"}


def test_a_mapping_key_given_twice_is_refused_naming_its_line(customs_user):
    """A second line for the same HS prefix replaced the first without a word."""
    import html

    analyst = login(customs_user, "risk_analyst")
    versions = RuleSet.objects.count()
    answer = analyst.post(
        "/risk/rules/prohibited_goods_hs/",
        form_post("prohibited_goods_hs", hs_prefixes="9301 = military weapons\n97 = art\n9301 = x"),
    )
    assert answer.status_code == 200
    assert b'id="error-hs_prefixes"' in answer.content
    assert "Line 3: “9301” is already given on an earlier line." in html.unescape(
        answer.content.decode()
    )
    assert RuleSet.objects.count() == versions


def test_a_bad_record_line_is_refused_on_its_field(customs_user):
    analyst = login(customs_user, "risk_analyst")
    versions = RuleSet.objects.count()
    answer = analyst.post(
        "/risk/rules/high_risk_origin/", form_post("high_risk_origin", rules="871160 | CN")
    )
    assert answer.status_code == 200
    assert b'id="error-rules"' in answer.content
    assert b"3 columns expected" in answer.content
    answer = analyst.post(
        "/risk/rules/high_risk_origin/", form_post("high_risk_origin", rules="8711 | cn | x y z")
    )
    assert b'id="error-rules"' in answer.content
    assert b"ISO 3166-1 alpha-2" in answer.content
    assert RuleSet.objects.count() == versions


@pytest.mark.parametrize(
    ("code", "field", "value", "words"),
    [
        ("prohibited_goods_keyword", "categories", [], "Give at least 1 entries."),
        ("prohibited_goods_hs", "hs_prefixes", "", "Give at least 1 entries."),
        ("lithium_battery_post", "hs_codes", "", "Give at least 1 entries."),
        ("lithium_battery_post", "hs_codes", "zz\n850650", "HS codes must be 6 digits: zz"),
        ("watchlist_screening", "roles", [], "Give at least 1 entries."),
    ],
)
def test_a_never_reduced_rule_cannot_be_emptied_by_its_parameters(
    code, field, value, words, customs_user
):
    """Prohibited goods, lithium batteries and watchlist screening are switched off by the rule's
    `enabled` flag (a visible change), never by a list that leaves the rule nothing to look for
    (no party screened)."""
    import html

    analyst = login(customs_user, "risk_analyst")
    versions = RuleSet.objects.count()
    answer = analyst.post(f"/risk/rules/{code}/", form_post(code, **{field: value}))
    assert answer.status_code == 200
    assert f'id="error-{field}"'.encode() in answer.content
    assert words in html.unescape(answer.content.decode())
    assert RuleSet.objects.count() == versions


def test_a_version_stored_with_no_watchlist_role_still_assesses():
    """The page refuses an empty list of roles; a version stored with one before (perhaps the
    active one) must still load, or every assessment under it would fail."""
    from risk.rules import compile_ruleset, default_ruleset

    rules = default_ruleset()
    for rule in rules:
        if rule["code"] == "watchlist_screening":
            rule["params"]["roles"] = []
    assert any(c.code == "watchlist_screening" for c in compile_ruleset(rules))


def test_parameter_errors_read_as_sentences_naming_the_entry_in_the_readers_language(
    customs_user,
):
    import html

    analyst = login(customs_user, "risk_analyst")
    url = "/risk/rules/high_risk_origin/"
    bad = form_post("high_risk_origin", rules="8711 | CN\n87x | cn | e-bikes", score="150")
    # One problem at a time: the record line of two columns is refused before the model runs.
    bad["rules"] = "8711 | CN | bicycles\n87x | cn | e-bikes"
    english = html.unescape(analyst.post(url, bad).content.decode())
    assert "Enter a number of at most 100." in english
    assert "HS prefix, entry 2: the value is not written in the expected form." in english
    assert (
        "Countries, entry 2: countries must be ISO 3166-1 alpha-2 codes (two capital letters): cn."
        in english
    )
    for raw in ("Value error", "Input should", "1.countries", "1.hs_prefix"):
        assert raw not in english
    french = html.unescape(analyst.post(url, bad, HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Saisissez un nombre inférieur ou égal à 100." in french
    assert "Préfixe SH, entrée 2 : la valeur n'est pas écrite sous la forme attendue." in french
    assert (
        "Pays, entrée 2 : les pays doivent être des codes ISO 3166-1 alpha-2 "
        "(deux lettres majuscules) : cn." in french
    )
    assert "Value error" not in french and "Input should" not in french


def test_diff_names_each_changed_parameter_and_nothing_else():
    base = copy.deepcopy(active_ruleset().rules)
    changed = copy.deepcopy(base)
    for rule in changed:
        if rule["code"] == "splitting":
            rule["params"] = {**rule["params"], "window_hours": 96}
        if rule["code"] == "unknown_seller":
            rule["enabled"] = False
    policy = active_ruleset().policy
    new_policy = {**policy, "thresholds": {**policy["thresholds"], "red": 75}}
    changes = ruleset_diff(base, policy, changed, new_policy)
    assert {(c.scope, c.path, c.after) for c in changes} == {
        ("splitting", "params.window_hours", 96),
        ("unknown_seller", "enabled", False),
        ("policy", "thresholds.red", 75),
    }
    assert ruleset_diff(base, policy, base, policy) == []


def test_version_page_shows_the_diff_against_the_active_version(customs_user):
    analyst = customs_user("risk_analyst")
    draft = ruleset_edit_rule(
        base=active_ruleset(),
        code="splitting",
        enabled=True,
        params={**RULES["splitting"].params_model().model_dump(mode="json"), "window_hours": 96},
        actor=analyst,
    )
    client = Client()
    client.force_login(analyst)
    page = client.get(f"/risk/versions/{draft.version}/")
    assert page.status_code == 200
    assert b"params.window_hours" in page.content
    assert b"<ins>96</ins>" in page.content and b"<del>72</del>" in page.content
    # Switched off, a rule reads yes/no, not True/False.
    off = ruleset_edit_rule(
        base=draft, code="vague_description", enabled=False,
        params=RULES["vague_description"].params_model().model_dump(mode="json"), actor=analyst,
    )  # fmt: skip
    page = client.get(f"/risk/versions/{off.version}/").content.decode()
    assert "<del>yes</del>" in page and "<ins>no</ins>" in page and "True" not in page
    same = client.get(f"/risk/versions/{draft.version}/?against={draft.version - 1}")
    assert same.content.count(b'class="diff-changed"') == 1


def _draft(actor, **param_changes) -> RuleSet:
    params = {**RULES["unknown_seller"].params_model().model_dump(mode="json"), **param_changes}
    return ruleset_edit_rule(
        base=active_ruleset(), code="unknown_seller", enabled=True, params=params, actor=actor
    )


def test_analyst_proposes_and_a_supervisor_approves_with_reasons_audited(
    customs_user, django_capture_on_commit_callbacks
):
    analyst_user = customs_user("risk_analyst")
    draft = _draft(analyst_user, score=30)
    analyst = Client()
    analyst.force_login(analyst_user)

    # No reason or no confirmation: refused, nothing recorded.
    analyst.post(f"/risk/versions/{draft.version}/propose/", {"reason": "", "confirm": "on"})
    analyst.post(f"/risk/versions/{draft.version}/propose/", {"reason": "tuning"})
    assert not AuditEvent.objects.filter(action="ruleset.propose").exists()

    # The analyst may not approve, even their own proposal.
    answer = analyst.post(
        f"/risk/versions/{draft.version}/propose/",
        {"reason": "fewer false hits on new sellers", "confirm": "on"},
    )
    assert answer.status_code == 302
    assert analyst.post(f"/risk/versions/{draft.version}/approve/", {}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.DRAFT

    supervisor = login(customs_user, "supervisor")
    page = supervisor.get(f"/risk/versions/{draft.version}/")
    assert b"fewer false hits on new sellers" in page.content
    assert b'id="activation-form"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        answer = supervisor.post(
            f"/risk/versions/{draft.version}/approve/",
            {"reason": "back-test reviewed", "confirm": "on"},
        )
    assert answer.status_code == 302
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.ACTIVE
    actions = list(
        AuditEvent.objects.filter(object_type="ruleset", object_id=str(draft.version))
        .order_by("id")
        .values_list("action", "actor_label", "reason")
    )
    assert [a for a, _who, _why in actions] == [
        "ruleset.create",
        "ruleset.propose",
        "ruleset.approve",
        "ruleset.activate",
    ]
    assert actions[1][2] == "fewer false hits on new sellers"
    assert actions[2][2] == "back-test reviewed"
    assert actions[1][1] != actions[2][1]


def test_the_proposer_cannot_approve_their_own_proposal(customs_user):
    admin = customs_user("administrator")  # may both propose and approve, never both at once
    draft = _draft(admin, score=30)
    approval.ruleset_propose(ruleset_id=draft.pk, actor=admin, reason="tuning")
    with pytest.raises(approval.ApprovalRefused, match="another person"):
        approval.ruleset_approve(ruleset_id=draft.pk, actor=admin, reason="ok")
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.DRAFT


def test_a_rejected_proposal_must_be_proposed_again(customs_user):
    analyst = customs_user("risk_analyst")
    supervisor = customs_user("supervisor")
    draft = _draft(analyst, score=30)
    approval.ruleset_propose(ruleset_id=draft.pk, actor=analyst, reason="tuning")
    approval.ruleset_reject(ruleset_id=draft.pk, actor=supervisor, reason="back-test first")
    assert approval.pending_proposal(draft) is None
    with pytest.raises(approval.ApprovalRefused, match="not been proposed"):
        approval.ruleset_approve(ruleset_id=draft.pk, actor=supervisor, reason="ok")


def test_the_author_of_a_version_cannot_approve_it_and_a_sent_back_draft_is_no_base(
    customs_user,
):
    from risk.selectors import ruleset_working_base

    analyst = customs_user("risk_analyst")
    supervisor = customs_user("supervisor")
    admin = customs_user("administrator")
    sent = _draft(analyst, score=5)
    approval.ruleset_propose(ruleset_id=sent.pk, actor=analyst, reason="quieter")
    approval.ruleset_reject(ruleset_id=sent.pk, actor=supervisor, reason="too quiet")
    # The next change starts from the active version, not from what was sent back.
    assert ruleset_working_base().pk == active_ruleset().pk
    made = _draft(admin, score=30)
    approval.ruleset_propose(ruleset_id=made.pk, actor=analyst, reason="tuning")
    with pytest.raises(approval.ApprovalRefused, match="You made version"):
        approval.ruleset_approve(ruleset_id=made.pk, actor=admin, reason="ok")
    made.refresh_from_db()
    assert made.state == RuleSet.State.DRAFT


def test_nobody_approves_a_version_that_carries_a_draft_of_their_own(customs_user):
    """Edits build on the newest draft: an administrator's draft under an analyst's newer one is
    approved with it, so the administrator may not approve the newer one either."""
    from risk.selectors import ruleset_working_base

    analyst = customs_user("risk_analyst")
    admin = customs_user("administrator")
    supervisor = customs_user("supervisor")
    active = active_ruleset()
    theirs = _draft(admin, score=20)
    params = RULES["vague_description"].params_model().model_dump(mode="json")
    on_top = ruleset_edit_rule(
        base=ruleset_working_base(), code="vague_description", enabled=True,
        params={**params, "score": params["score"] + 1}, actor=analyst,
    )  # fmt: skip
    assert on_top.based_on_id == theirs.pk
    approval.ruleset_propose(ruleset_id=on_top.pk, actor=analyst, reason="tuning")
    with pytest.raises(
        approval.ApprovalRefused, match=rf"changes you made \(version {theirs.version}\)"
    ):
        approval.ruleset_approve(ruleset_id=on_top.pk, actor=admin, reason="lgtm")
    on_top.refresh_from_db()
    assert on_top.state == RuleSet.State.DRAFT and active_ruleset().pk == active.pk
    # Someone who wrote none of the chain approves it, and both changes come into force.
    approval.ruleset_approve(ruleset_id=on_top.pk, actor=supervisor, reason="both reviewed")
    in_force = {r["code"]: r["params"]["score"] for r in active_ruleset().rules}
    assert in_force["unknown_seller"] == 20 and in_force["vague_description"] == params["score"] + 1


def test_a_version_made_without_its_base_counts_every_draft_before_it(customs_user):
    """A version whose base was not recorded (made before versions recorded it, or by a script)
    is treated as carrying every draft between the active version and it."""
    analyst = customs_user("risk_analyst")
    admin = customs_user("administrator")
    theirs = _draft(admin, score=20)
    loose = ruleset_create_version(
        rules=theirs.rules, policy=theirs.policy, actor=analyst, note="from a file"
    )
    assert loose.based_on_id is None
    approval.ruleset_propose(ruleset_id=loose.pk, actor=analyst, reason="tuning")
    with pytest.raises(approval.ApprovalRefused, match="changes you made"):
        approval.ruleset_approve(ruleset_id=loose.pk, actor=admin, reason="lgtm")


def test_an_older_draft_is_flagged_and_needs_an_explicit_confirmation(
    customs_user, django_capture_on_commit_callbacks
):
    analyst = customs_user("risk_analyst")
    supervisor = customs_user("supervisor")
    older = _draft(analyst, score=30)
    newer = _draft(analyst, score=40)
    approval.ruleset_propose(ruleset_id=newer.pk, actor=analyst, reason="v-new")
    with django_capture_on_commit_callbacks(execute=True):
        approval.ruleset_approve(ruleset_id=newer.pk, actor=supervisor, reason="ok")

    client = Client()
    client.force_login(analyst)
    page = client.get(f"/risk/versions/{older.version}/")
    assert b'id="older-warning"' in page.content
    assert b"older" in client.get("/risk/").content
    with pytest.raises(approval.ApprovalRefused, match="older than the active version"):
        approval.ruleset_propose(ruleset_id=older.pk, actor=analyst, reason="roll back")
    approval.ruleset_propose(
        ruleset_id=older.pk, actor=analyst, reason="roll back", confirm_older=True
    )
    with pytest.raises(approval.ApprovalRefused, match="older than the active version"):
        approval.ruleset_approve(ruleset_id=older.pk, actor=supervisor, reason="ok")
    newer.refresh_from_db()
    assert newer.state == RuleSet.State.ACTIVE


def _traffic(operator, example, capture, count: int = 40) -> None:
    bodies = []
    for n in range(count):
        body = example_for(f"BT-{n:03d}", example)  # each parcel its own transport document
        body.pop("order", None)
        bodies.append(body)
    with capture(execute=True):
        outcomes = declarations_submit(operator=operator, bodies=bodies)
    assert all(o.status == 201 for o in outcomes)


@pytest.mark.random_draw
def test_backtest_of_a_version_against_itself_changes_nothing(
    operator_a, example, customs_user, django_capture_on_commit_callbacks
):
    active = active_ruleset()
    # Random selection at a high rate makes any re-rolled draw visible.
    policy = {**active.policy, "random_rates": {"yellow": 0.3, "red": 0.2}}
    analyst = customs_user("risk_analyst")
    supervisor = customs_user("supervisor")
    noisy = ruleset_create_version(rules=active.rules, policy=policy, actor=analyst)
    approval.ruleset_propose(ruleset_id=noisy.pk, actor=analyst, reason="noisy")
    with django_capture_on_commit_callbacks(execute=True):
        approval.ruleset_approve(ruleset_id=noisy.pk, actor=supervisor, reason="ok")
    _traffic(operator_a.operator, example, django_capture_on_commit_callbacks)
    assert Declaration.objects.count() == 40

    itself = backtest(ruleset=active_ruleset(), days=30)
    assert itself.total == 40 and itself.changed == 0
    same_again = ruleset_create_version(rules=noisy.rules, policy=noisy.policy, actor=analyst)
    copy_result = backtest(ruleset=same_again, days=30)
    assert copy_result.changed == 0
    assert copy_result.draft_mix == itself.draft_mix
    assert set(copy_result.draft_mix) & {"yellow", "red"}  # the draws did select some
    quieter = ruleset_create_version(
        rules=noisy.rules, policy={**policy, "random_rates": {"yellow": 0, "red": 0}}, actor=analyst
    )
    assert backtest(ruleset=quieter, days=30).changed > 0
