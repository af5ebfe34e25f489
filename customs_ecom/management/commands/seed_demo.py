"""Demo data: operators with API keys, one account per customs role, and several hundred synthetic
declarations whose two weeks (submission, arrival, payment, inspection, outcome, seizure) are
replayed in order through the same services as the API and the officer pages."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.utils import timezone

from aeo.models import AEOAuthorisation, Operator, OperatorLink
from aeo.services import api_key_create, operator_create, operator_link_add
from aeo.services.authorisations import authorisation_apply, authorisation_transition
from customs_ecom.demo_story import Story
from customs_ecom.platform.accounts.audited import command_actor
from customs_ecom.platform.admin import _user_facts
from customs_ecom.platform.audit import audit_record
from customs_ecom.platform.roles import ROLES, ensure_role_groups

DEMO_OPERATORS = [
    ("example-market", "Example Market SAS", "marketplace", "FR"),
    ("swift-express", "Swift Express Couriers", "express_carrier", "BE"),
    ("la-poste-demo", "Demo Postal Operator", "postal_operator", "FR"),
    ("brightgadgets", "Bright Gadgets Ltd", "vendor", "GB"),
]
DEMO_PASSWORD_SUFFIX = "-demo-2026"


class Command(BaseCommand):
    help = (
        "Load demo operators, API keys, customs accounts (one per role) and synthetic declarations. "
        "Each operator, account and key created is audited under the command and the system user "
        "who ran it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--declarations", type=int, default=400)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, declarations, seed, **options):
        ensure_role_groups()
        actor = command_actor("seed_demo")
        reason = "seed_demo command"
        operators = []
        for code, name, role, country in DEMO_OPERATORS:
            operator = Operator.objects.filter(code=code).first() or operator_create(
                code=code, name=name, role=role, country=country, actor=actor, reason=reason
            )
            operators.append(operator)
        carrier = operators[1]
        # The carrier carries for the marketplace: its manifests re-score the marketplace's
        # declarations (the README's tour posts one).
        if not OperatorLink.objects.filter(
            source=carrier, target=operators[0], kind=OperatorLink.Kind.CARRIES_FOR
        ).exists():
            operator_link_add(
                source=carrier,
                target=operators[0],
                kind=OperatorLink.Kind.CARRIES_FOR,
                since=timezone.localdate() - timedelta(days=400),
                actor=actor,
            )
        if not carrier.authorisations.exists():
            # Through the registry's services, so the authorisation is audited as on its page.
            authorisation = authorisation_apply(
                operator=carrier, kind=AEOAuthorisation.Kind.FULL, actor=actor
            )
            for status in (
                AEOAuthorisation.Status.UNDER_REVIEW,
                AEOAuthorisation.Status.AUTHORISED,
            ):
                authorisation_transition(
                    authorisation_id=authorisation.pk,
                    to_status=status,
                    actor=actor,
                    reason=reason,
                    certificate_number="BEAEOF0000001",
                    valid_from=timezone.localdate() - timedelta(days=400),
                )
        user_model = get_user_model()
        logins = []
        for role in ROLES:
            user, created = user_model.objects.get_or_create(
                username=role, defaults={"email": f"{role}@customs.example"}
            )
            if created:
                user.set_password(role + DEMO_PASSWORD_SUFFIX)
                user.is_staff = role == "administrator"
                user.is_superuser = role == "administrator"
                user.save()
                user.groups.add(Group.objects.get(name=role))
                audit_record(
                    actor=actor,
                    action="user.add",
                    object_type="user",
                    object_id=user.pk,
                    before=None,
                    after=_user_facts(user),
                    reason=reason,
                )
            logins.append((role, role + DEMO_PASSWORD_SUFFIX))

        existing = sum(o.declarations.count() for o in operators)
        if existing < declarations:
            # Two weeks replayed in order, each event on its own date (customs_ecom.demo_story).
            # The aggregates of the two weeks are computed once at the end (backfill below), not
            # each time an event of the story changes an older day.
            from customs_ecom.kpis import days_changed
            from customs_ecom.platform.extensions import provide

            provide("kpis.days_changed", lambda days: None)
            try:
                counts = Story(
                    operators=operators,
                    count=declarations - existing,
                    start_index=existing,
                    seed=seed,
                    now=timezone.now(),
                ).run()
            finally:
                provide("kpis.days_changed", days_changed)
            self.stdout.write(
                "Story replayed: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
            )
            from risk.services.learning import risk_model_train

            risk_model_train(actor=actor)

        # The dashboard reads daily aggregates (kept fresh by beat in production): compute them
        # for the demo's two weeks of history now.
        from django.core.management import call_command

        call_command("backfill_kpis", "--days", "20", verbosity=0)
        _, key = api_key_create(operator=operators[0], name="demo", actor=actor, reason=reason)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("Customs logins (username / password):")
        for username, password in logins:
            self.stdout.write(f"  {username:<14} {password}")
        self.stdout.write(f"Demo API key for operator '{operators[0].code}': {key}")
