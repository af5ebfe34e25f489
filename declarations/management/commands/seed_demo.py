"""Demo data: operators with API keys, one account per customs role, and several hundred synthetic
declarations submitted through the same service as the API."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.utils import timezone

from aeo.models import AEOAuthorisation, Operator
from aeo.services import api_key_create, operator_create
from customs_ecom.roles import ROLES, ensure_role_groups
from declarations.services import declarations_submit
from declarations.synthetic import make_declaration

DEMO_OPERATORS = [
    ("example-market", "Example Market SAS", "marketplace", "FR"),
    ("swift-express", "Swift Express Couriers", "express_carrier", "BE"),
    ("la-poste-demo", "Demo Postal Operator", "postal_operator", "FR"),
    ("brightgadgets", "Bright Gadgets Ltd", "vendor", "GB"),
]
DEMO_PASSWORD_SUFFIX = "-demo-2026"


class Command(BaseCommand):
    help = (
        "Load demo operators, API keys, customs accounts (one per role) and synthetic declarations."
    )

    def add_arguments(self, parser):
        parser.add_argument("--declarations", type=int, default=400)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, declarations, seed, **options):
        ensure_role_groups()
        rng = random.Random(seed)
        operators = []
        for code, name, role, country in DEMO_OPERATORS:
            operator = Operator.objects.filter(code=code).first() or operator_create(
                code=code, name=name, role=role, country=country
            )
            operators.append(operator)
        carrier = operators[1]
        if not carrier.authorisations.exists():
            AEOAuthorisation.objects.create(
                operator=carrier,
                kind=AEOAuthorisation.Kind.FULL,
                certificate_number="BEAEOF0000001",
                status=AEOAuthorisation.Status.AUTHORISED,
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
            logins.append((role, role + DEMO_PASSWORD_SUFFIX))

        existing = sum(o.declarations.count() for o in operators)
        if existing < declarations:
            now = timezone.now()
            batch_by_operator: dict[int, list] = {o.pk: [] for o in operators}
            for index in range(existing, declarations):
                operator = operators[index % len(operators)]
                risky = rng.random() < 0.06
                profile = "upu-cn23" if operator.role == "postal_operator" else None
                body = make_declaration(
                    rng,
                    index,
                    lrn_prefix=operator.code.upper(),
                    risky=risky,
                    profile=profile,
                    received=now - timedelta(minutes=rng.randint(0, 60 * 24 * 14)),
                )
                batch_by_operator[operator.pk].append(body)
            for operator in operators:
                bodies = batch_by_operator[operator.pk]
                for start in range(0, len(bodies), 200):
                    declarations_submit(operator=operator, bodies=bodies[start : start + 200])
            self._spread_history(now, rng)

        # The dashboard reads daily aggregates (kept fresh by beat in production): compute them
        # for the demo's two weeks of history now.
        from django.core.management import call_command

        call_command("backfill_kpis", "--days", "20", verbosity=0)
        _, key = api_key_create(operator=operators[0], name="demo")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("Customs logins (username / password):")
        for username, password in logins:
            self.stdout.write(f"  {username:<14} {password}")
        self.stdout.write(f"Demo API key for operator '{operators[0].code}': {key}")

    def _spread_history(self, now, rng):
        """Demo declarations were all submitted just now; spread them over two weeks so the dashboard
        shows a history, and report arrival for some so green ones are released."""
        from declarations.models import Declaration, StatusEvent

        for declaration in Declaration.objects.filter(
            received_at__gte=now - timedelta(minutes=5)
        ).only("pk"):
            moment = now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))
            Declaration.objects.filter(pk=declaration.pk).update(received_at=moment)
            StatusEvent.objects.filter(declaration_id=declaration.pk).update(at=moment)
        # Carriers report arrival of the older half: green ones are released, the rest wait for officers.
        from declarations.services import arrivals_record

        cutoff = now - timedelta(days=3)
        by_operator: dict[int, list[str]] = {}
        for operator_id, number in Declaration.objects.filter(received_at__lt=cutoff).values_list(
            "operator_id", "transport_document_number"
        ):
            by_operator.setdefault(operator_id, []).append(number)
        for operator in Operator.objects.filter(pk__in=by_operator):
            arrivals_record(operator=operator, transport_documents=by_operator[operator.pk])
        # The carriers pay what is due at the border for most of the arrived parcels (on the
        # consignees' behalf), which releases them; the rest wait for payment in the demo.
        from revenue.selectors import current_tax_assessment
        from revenue.services import border_balance, ledger_payment_record

        for pk in Declaration.objects.filter(
            received_at__lt=cutoff, status="assessed", arrived_at__isnull=False
        ).values_list("pk", flat=True):
            owed, paid, refunded = border_balance(pk)
            if owed > paid - refunded and rng.random() < 0.8:
                ledger_payment_record(
                    declaration_id=pk,
                    amount=owed - (paid - refunded),
                    currency=current_tax_assessment(declaration_id=pk).currency,
                    reference="paid by the carrier at delivery",
                )
