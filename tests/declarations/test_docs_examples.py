"""The documentation in the repository is the contract: its example files are posted as they are,
its example problem is what the API answers, and every path it names exists."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from declarations.models import Declaration
from tests.examples import DATASET_EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _load(name: str):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_the_dataset_example_file_is_the_tests_example():
    assert _load("declaration.json") == DATASET_EXAMPLE


def test_the_example_in_dataset_md_is_the_example_file():
    text = (ROOT / "docs" / "dataset.md").read_text(encoding="utf-8")
    block = text.split("## Example (eu-h7, IOSS)", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert json.loads(block) == DATASET_EXAMPLE


@pytest.mark.django_db
def test_example_declaration_is_accepted_as_the_readme_posts_it(operator_a):
    body = (EXAMPLES / "declaration.json").read_bytes()
    response = operator_a.client.generic(
        "POST", "/api/v1/declarations", body, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response["Location"] == f"/api/v1/declarations/{response.json()['id']}"
    assert response.json()["declaration"]["order"]["payment"]["amount"] == "47.80"


@pytest.mark.django_db
def test_example_invalid_declaration_answers_the_example_problem(operator_a):
    body = (EXAMPLES / "declaration-invalid.json").read_bytes()
    response = operator_a.client.generic(
        "POST", "/api/v1/declarations", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json() == _load("declaration-invalid.problem.json")
    assert not Declaration.objects.exists()


@pytest.mark.django_db
def test_example_batch_accepts_one_and_rejects_one(operator_a):
    body = (EXAMPLES / "batch.json").read_bytes()
    response = operator_a.client.generic(
        "POST", "/api/v1/declarations/batch", body, content_type="application/json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert results[1]["errors"][0]["code"] == "excise_goods_not_admissible"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_path_the_documentation_names_exists(document):
    text = document.read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"(?<![\w/.-])((?:docs|declarations|customs_ecom|aeo|revenue|risk|templates|tests)/[\w./-]*[\w/])",
            text,
        )
    )
    # Paths name a file (with an extension) or a folder (ending in /); "declarations/s" is a rate.
    named = {p for p in named if "." in p.rsplit("/", 1)[-1] or p.endswith("/")}
    named |= set(re.findall(r"(?:-d |=)@([\w./-]+)", text))
    missing = sorted(p for p in named if not (ROOT / p).exists() and "<" not in p)
    assert missing == []


# --- The README's tour, replayed ---------------------------------------------------------------
# The shell blocks of the README are run as written against `make demo`. Here they are read the
# same way and replayed, in order, through the test client: every `curl` is sent, every variable
# the blocks capture (`ID=$(curl ... | json '...')`) is kept for the later calls, and each answer
# must succeed (or be the documented 422 of the invalid example).

README = ROOT / "README.md"
BASE = "http://127.0.0.1:8000"


def _readme_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _tour_commands() -> list[str]:
    """The tour: every shell block after the first (make demo / make test) that calls the API,
    as commands with their continuation lines joined and comments dropped."""
    commands = []
    for block in _readme_blocks()[1:]:
        if "$API" not in block and "manage.py" not in block:
            continue
        commands += _split_commands(re.sub(r"\\\n\s*", " ", block))
    return commands


def _split_commands(text: str) -> list[str]:
    """Lines of shell, a line break inside quotes belonging to its command; comments dropped."""
    commands, current, quote, escaped, comment = [], "", None, False, False
    for char in text:
        if comment:
            comment = char != "\n"
            if comment:
                continue
        if escaped:
            escaped = False
        elif quote == '"' and char == "\\":
            escaped = True
        elif quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (not current or current[-1] == " "):
            comment = True
            continue
        elif char == "\n":
            commands.append(current)
            current = ""
            continue
        current += char
    commands.append(current)
    return [c.strip() for c in commands if c.strip()]


def _expand(text: str, variables: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        assert name in variables, f"${name} is used before the README defines it"
        return variables[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, text)


class _Tour:
    def __init__(self, client) -> None:
        self.client = client
        self.variables: dict[str, str] = {}
        self.answers: list[tuple[str, int]] = []
        self.bodies: list[bytes] = []

    def run(self, command: str) -> str:
        """One command of the tour; answers what it would print (or capture)."""
        from aeo.models import Operator
        from aeo.services import api_key_create

        if command.startswith("json()"):
            return ""
        assignment = re.fullmatch(r"(\w+)=\$\((.*)\)", command, re.S)
        if assignment:
            self.variables[assignment.group(1)] = self.run(assignment.group(2)).strip()
            return ""
        assignment = re.fullmatch(r"(\w+)=(\S+)", command)
        if assignment:
            self.variables[assignment.group(1)] = _expand(assignment.group(2), self.variables)
            return ""
        pipeline = [part.strip() for part in command.split(" | ")]
        first, filters = pipeline[0], pipeline[1:]
        echo = re.fullmatch(r'echo "\$(\w+)"', first)
        created = re.fullmatch(r"\.venv/bin/python manage\.py create_api_key ([\w-]+)", first)
        shell = re.fullmatch(r"\.venv/bin/python manage\.py shell -v 0 -c '(.*)'", first)
        if echo:
            output = self.variables[echo.group(1)]
        elif created:
            _, output = api_key_create(operator=Operator.objects.get(code=created.group(1)))
        elif shell:
            exec(shell.group(1), {})  # noqa: S102 - the README's one line of Python, as written
            output = ""
        else:
            assert first.startswith("curl "), f"the tour runs only curl, echo and json: {first}"
            output = self._curl(first)
        for step in filters:
            expression = re.fullmatch(r"json '(.*)'", step)
            assert expression, f"unexpected filter {step!r}"
            output = str(eval(expression.group(1), {}, {"d": json.loads(output)}))  # noqa: S307
        return output

    def _curl(self, command: str) -> str:
        from django.core.files.uploadedfile import SimpleUploadedFile

        words = shlex.split(_expand(command, self.variables))[1:]
        headers: dict[str, str] = {}
        data: bytes | None = None
        data_file = ""
        files: dict[str, object] = {}
        url = None
        flags_with_value = {"-w", "-o"}
        while words:
            word = words.pop(0)
            if word == "-H":
                name, _, value = words.pop(0).partition(":")
                headers[name.strip()] = value.strip()
            elif word == "-d":
                value = words.pop(0)
                data_file = value[1:] if value.startswith("@") else ""
                data = (ROOT / data_file).read_bytes() if data_file else value.encode()
            elif word == "-F":
                name, _, value = words.pop(0).partition("=")
                if value.startswith("@"):
                    path = ROOT / value[1:]
                    files[name] = SimpleUploadedFile(path.name, path.read_bytes())
                else:
                    files[name] = value
            elif word in flags_with_value:
                words.pop(0)
            elif word.startswith("-"):
                continue
            else:
                url = word
        assert url and url.startswith(BASE), f"the tour calls the demo server: {url}"
        path = url[len(BASE) :]
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        content_type = extra.pop("HTTP_CONTENT_TYPE", "application/json")
        if files:
            response = self.client.post(path, files, **extra)
        elif data is not None:
            response = self.client.generic("POST", path, data, content_type=content_type, **extra)
        else:
            response = self.client.get(path, **extra)
        self.answers.append((f"{response.request['REQUEST_METHOD']} {path}", response.status_code))
        self.bodies.append(response.content)
        if data_file == "docs/examples/declaration-invalid.json":
            assert response.status_code == 422, response.content
            assert response.json() == _load("declaration-invalid.problem.json")
        else:
            assert response.status_code < 400, (path, response.status_code, response.content)
        return response.content.decode()


def test_the_readme_tour_defines_every_variable_before_use_and_names_no_made_up_id():
    defined: set[str] = set()
    for command in _tour_commands():
        if command.startswith("json()"):
            continue
        for name in re.findall(r"\$\{?(\w+)", re.sub(r"'[^']*'", "", command)):
            assert name in defined, f"${name} is used before the README defines it: {command}"
        defined |= set(re.findall(r"^(\w+)=", command))
        assert not re.search(r"/declarations/\d", command), f"a made-up id: {command}"


@pytest.mark.django_db(transaction=True)
def test_the_readme_tour_runs_as_written():
    from django.test import Client

    # What `make demo` provides for the tour: the demo marketplace and the demo carrier, which
    # carries for it (seed_demo links them).
    from aeo.models import OperatorLink
    from aeo.services import operator_link_add
    from tests.conftest import make_operator

    market = make_operator("example-market", role="marketplace").operator
    carrier = make_operator("swift-express", role="express_carrier").operator
    operator_link_add(source=carrier, target=market, kind=OperatorLink.Kind.CARRIES_FOR, actor=None)
    tour = _Tour(Client())
    for command in _tour_commands():
        tour.run(command)
    called = {answer.split(" ", 1)[1].split("?")[0] for answer, _ in tour.answers}
    for endpoint in (
        "/api/v1/declarations",
        "/api/v1/declarations/batch",
        "/api/v1/manifests",
        "/api/v1/arrivals",
        "/api/v1/payments",
        "/api/v1/returns",
        "/api/v1/events",
        "/api/v1/estimates",
        "/api/v1/webhook",
    ):
        assert endpoint in called, f"the tour no longer calls {endpoint}"
    # The story the tour tells: the first declaration cancelled, the batch's one paid, released
    # on payment and returned.
    assert Declaration.objects.get(pk=tour.variables["ID"]).status == "invalidated"
    assert Declaration.objects.get(pk=tour.variables["BATCH_ID"]).status == "returned"
    # The refund the README runs by hand (no beat under make demo) returns the border payment.
    refunded = json.loads(
        next(
            body
            for (answer, _status), body in reversed(
                list(zip(tour.answers, tour.bodies, strict=True))
            )
            if answer == f"GET /api/v1/declarations/{tour.variables['BATCH_ID']}"
        )
    )["taxes"]
    assert refunded["refunded"] == refunded["paid"] != "0.00", refunded
    assert [r["amount"] for r in refunded["refunds"]] == [refunded["paid"]], refunded
    # The carrier's manifest re-scored the marketplace's declaration, as the README says.
    manifest = next(
        body
        for (answer, _status), body in zip(tour.answers, tour.bodies, strict=True)
        if answer == "POST /api/v1/manifests"
    )
    assert json.loads(manifest)["declarations_rescored"] >= 1, manifest
