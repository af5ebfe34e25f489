"""Security headers of the pages: a Content Security Policy that allows scripts from this site
only, which works because no template carries an inline script or event handler."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/problems/", "/api/docs/"])
def test_pages_carry_a_csp_without_inline_script(path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_an_inline_script_or_handler(template):
    text = template.read_text(encoding="utf-8")
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag]
    # json_script renders <script type="application/json">, which is data, not script.
    assert [tag for tag in inline if "application/json" not in tag] == []
    assert re.findall(r"\son[a-z]+\s*=", text) == []
