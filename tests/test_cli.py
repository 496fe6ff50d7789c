"""The CLI through click's CliRunner and as a real subprocess: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from clausegen.cli import cli

from conftest import FIXTURES, PROFILES, REPO


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def run_process(*args):
    return subprocess.run([sys.executable, "-m", "clausegen", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def test_library_list_and_show():
    result = run("library", "list")
    assert result.exit_code == 0
    assert "end_use_strict" in result.output and "clauses, library version" in result.output
    shown = run("library", "show", "export_control_standard")
    assert shown.exit_code == 0 and "provides: export_control" in shown.output


def test_library_show_unknown_suggests():
    result = run("library", "show", "end_use_strictt")
    assert result.exit_code == 2 and "did you mean 'end_use_strict'" in result.output


def test_library_validate_ok_and_broken():
    assert run("library", "validate").exit_code == 0
    broken = run("library", "validate", "--library", FIXTURES / "libraries" / "unknown_safeguard")
    assert broken.exit_code == 2
    assert "clause.yaml -> provides: unknown safeguard 'end_usage'" in broken.output


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_assess_formats(fmt):
    result = run("assess", PROFILES / "facial_recognition_police.yaml", "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(result.output)
        assert data["risk_level"] == "critical" and data["in_scope"] is True
        assert {"id", "strictness", "because"} <= set(data["required_safeguards"][0])
    else:
        assert "CRITICAL" in result.output and "eu.misused_similar_products" in result.output


def test_assess_sanctioned_destination_says_stop():
    data = json.loads(run("assess", PROFILES / "sanctioned_destination.yaml", "--format", "json").output)
    assert data["export_screen"]["verdict"] == "stop"
    assert "licence" in data["export_screen"]["message"] and "legal review" in data["export_screen"]["message"]


def test_assess_with_own_countries_file(tmp_path):
    own = tmp_path / "countries.yaml"
    own.write_text((FIXTURES / "libraries" / "good" / "countries.yaml").read_text().replace("[KP]", "[NO]"))
    data = json.loads(run("assess", PROFILES / "body_cameras_municipal.yaml", "--format", "json",
                          "--countries", own).output)
    assert data["export_screen"]["verdict"] == "stop"


def test_subprocess_assess_and_bad_profile(tmp_path):
    ok = run_process("assess", PROFILES / "thermal_camera_hospital.yaml", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["risk_level"] == "low"
    bad = tmp_path / "bad.yaml"
    bad.write_text((PROFILES / "thermal_camera_hospital.yaml").read_text().replace("destination:", "destinaton:"))
    failed = run_process("assess", bad)
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    assert f"{bad} -> destinaton: unknown field (did you mean 'destination'?)" in failed.stderr


@pytest.mark.parametrize("content, name, message", [
    ("key: [unclosed", "p.yaml", "malformed YAML"),
    ("", "p.yaml", "a profile is a mapping"),
    ("x", "p.docx", "a profile is a .yaml"),
])
def test_subprocess_unreadable_profile(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_text(content)
    result = run_process("assess", path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_profile_file(tmp_path):
    result = run_process("assess", tmp_path / "nope.yaml")
    assert result.returncode == 2 and "file not found" in result.stderr
