"""The officer pages' benchmark empties the consignment tables before it loads its own: it
refuses a database that holds real consignments (their statuses, holds, outcomes and ledger)."""

import pytest
from django.core.management.base import CommandError

from customs_ecom.management.commands.bench_officer import Command
from declarations.models import Declaration
from declarations.services import declarations_submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_officer_refuses_a_database_with_consignments_of_its_own(
    operator_a, example, tmp_path
):
    (outcome,) = declarations_submit(operator=operator_a.operator, bodies=[example])
    with pytest.raises(CommandError, match="not the benchmark's"):
        Command()._run(count=10, requests=1, output=str(tmp_path / "out.json"), aggregates=False)
    assert Declaration.objects.filter(pk=outcome.declaration.pk).exists()
