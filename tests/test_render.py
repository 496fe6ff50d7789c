"""Rendering is sandboxed and strict: profile values are text, never code, and the DOCX stays valid."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
import yaml

from clausegen.errors import RenderError
from clausegen.generate import clean_value, generate
from clausegen.render import render_text

from conftest import PROFILES

HOSTILE = 'Acme {{ 7*7 }} {% if true %}X{% endif %} <b>&amp;</b> "quoted" \'single\'\nsecond line\x01\x0b end'


def hostile_profile(tmp_path: Path) -> Path:
    """Write a sample profile whose names and variables carry template syntax, markup and control characters."""
    data = yaml.safe_load((PROFILES / "facial_recognition_police.yaml").read_text(encoding="utf-8"))
    data["seller"]["name"] = HOSTILE
    data["counterparty"]["name"] = "Ministry <script>alert(1)</script> & Sons\r\nLtd"
    data["product"]["name"] = "Sentinel {{ ''.__class__.__mro__ }}"
    data["governing_law"] = "{{ 7*7 }}"
    data["variables"] = {"authorized_purpose": "{{ config }} {{ 7*7 }} & <purpose>\n\n- not a list item"}
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_profile_values_stay_literal_and_docx_stays_valid(tmp_path, gen_library):
    out = tmp_path / "hostile.docx"
    generate(hostile_profile(tmp_path), gen_library, "eula", out)
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "Acme {{ 7*7 }} {% if true %}X{% endif %} <b>&amp;</b> \"quoted\" 'single' second line end" in text
    assert "49" not in text
    assert "Ministry <script>alert(1)</script> & Sons Ltd" in text
    assert "Sentinel {{ ''.__class__.__mro__ }}" in text
    assert "governed by the law of {{ 7*7 }}" in text
    assert "{{ config }} {{ 7*7 }} & <purpose> - not a list item" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)


def test_clean_value_strips_control_characters_and_newlines():
    assert clean_value("a\x00b\x1fc\nd\r\ne\tf") == "abc d e f"
    assert clean_value({"k": ["x\ny"]}) == {"k": ["x y"]}
    assert clean_value(12) == 12


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ product.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ref.__globals__ }}",
    "{{ product.mro() }}",
])
def test_sandbox_refuses_attribute_escapes(source):
    with pytest.raises(RenderError) as err:
        render_text(source, {"product": "the Product"}, "end_use_standard")
    assert "end_use_standard" in str(err.value)


def test_missing_variable_names_clause_and_variable():
    with pytest.raises(RenderError) as err:
        render_text("The {{ recipient_term }} shall pay within {{ payment_dayz }} days.",
                    {"recipient_term": "Customer"}, "fees_clause")
    message = str(err.value)
    assert message.startswith("fees_clause:")
    assert "payment_dayz" in message


def test_value_is_never_template_source():
    assert render_text("{{ name }}", {"name": "{{ 7*7 }}"}, "c") == "{{ 7*7 }}"
