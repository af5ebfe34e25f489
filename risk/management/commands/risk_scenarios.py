"""`python manage.py risk_scenarios`: run the labelled scenario corpus through the real engine and
print precision and recall per rule and overall, with the targets of the calibration.

The corpus is submitted through intake and assessed by the risk batch service under the active
rule set inside a transaction that is rolled back, so the database keeps nothing of it but one
``TargetingRun`` row (the figures the analyst page shows; ``--no-record`` keeps even that out).
The targets are defined for a database without history (a new installation, or CI); on a database
with history the command says so, since the history changes what the rules see.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from declarations.models import Declaration
from risk.models import TargetingRun
from risk.scenario_run import (
    TARGET_BENIGN_CONTROLLED,
    kinds_summary,
    run_scenarios_isolated,
)
from risk.services.rulesets import active_ruleset


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{value * 100:5.1f}"


class Command(BaseCommand):
    help = "Measure targeting on the labelled scenario corpus (precision and recall per rule)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--no-record", action="store_true", help="do not store the run")
        parser.add_argument(
            "--check", action="store_true", help="exit with an error if a target is missed"
        )

    def handle(self, *args, **options):
        history = Declaration.objects.count()
        ruleset = active_ruleset()
        report = run_scenarios_isolated()
        summary = report.as_dict() | {"history_declarations": history}
        if not options["no_record"]:
            TargetingRun.objects.create(
                ruleset_version=ruleset.version, size=len(report.results), summary=summary
            )
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            out = self.stdout.write
            out(f"Scenario corpus: {len(report.results)} consignments "
                f"({len(report.risky)} risky, {len(report.benign)} benign), rule set v{ruleset.version}")  # fmt: skip
            if history:
                out(f"NOTE: the database holds {history} declarations of history; the targets "
                    "are defined for a database without history.")  # fmt: skip
            out("")
            out(f"{'rule':28} {'fired':>5} {'TP':>4} {'precision %':>11} {'targeted':>8} "
                f"{'caught':>6} {'recall %':>8}")  # fmt: skip
            for m in report.rules:
                out(f"{m.code:28} {m.fired:5} {m.true_positives:4} {_pct(m.precision):>11} "
                    f"{m.targeted:8} {m.caught:6} {_pct(m.recall):>8}")  # fmt: skip
            out("")
            out(f"{'kind':36} {'scenarios':>9} {'held':>5}")
            for kind, total, held in kinds_summary(report):
                out(f"{kind:36} {total:9} {held:5}")
            out("")
            out(f"Overall: risky held {report.risky_held}/{len(report.risky)} "
                f"(recall {_pct(report.recall).strip()} %, target 100 %); precision "
                f"{_pct(report.precision).strip()} %")  # fmt: skip
            out(f"Benign controlled beyond the random floor: {report.benign_controlled}/"
                f"{len(report.benign)} ({_pct(report.benign_controlled_share).strip()} %, target "
                f"<= {TARGET_BENIGN_CONTROLLED * 100:.0f} %); random draws: {report.random_floor}")  # fmt: skip
            for r in report.missed():
                out(f"  missed {r.scenario.key} {r.scenario.kind}: {r.channel} {sorted(r.rules)}")
            for r in report.false_alarms():
                out(f"  benign held {r.scenario.key} {r.scenario.kind}: {r.channel} {sorted(r.rules)}")  # fmt: skip
        if options["check"] and not report.meets_targets:
            raise CommandError("targeting targets missed")
