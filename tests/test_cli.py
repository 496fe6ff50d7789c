"""The CLI through click's CliRunner and as a real subprocess: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
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


def run_main(capsys, *args) -> tuple[int, str, str]:
    """Run the CLI's main() in this process; return (exit code, stdout, stderr)."""
    from clausegen.cli import main

    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out, err = capsys.readouterr()
    return code, out, err


PROFILE = PROFILES / "facial_recognition_police.yaml"
CONTRACT = REPO / "contract_samples" / "contracts" / "reseller_with_flowdown.docx"


@pytest.mark.parametrize("args, message", [
    (("assess", PROFILE, "--format", "yaml"), "error: invalid value for '--format': 'yaml' is not one of"),
    (("generate", PROFILE, "--kind", "contract", "-o", "x.docx"), "error: invalid value for '--kind'"),
    (("audit", REPO, "-o", "x", "--jobs", "0"), "error: invalid value for '--jobs': 0 is not in the range"),
    (("frobnicate",), "error: no such command 'frobnicate'. (see 'clausegen --help')"),
    (("assess",), "error: missing argument 'PROFILE'. (see 'clausegen assess --help')"),
    (("review", CONTRACT, "--bogus"), "error: no such option '--bogus'. (see 'clausegen review --help')"),
])
def test_usage_errors_are_one_line_in_one_style(capsys, args, message):
    code, out, err = run_main(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(message), err


@pytest.mark.parametrize("make, args, message", [
    # a folder where a file is expected, in every role
    (None, ("assess", "{tmp}"), "{tmp}: is a folder, not a profile file"),
    (None, ("review", "{tmp}"), "{tmp}: is a folder, not a contract file"),
    (None, ("review", CONTRACT, "--profile", "{tmp}"), "{tmp}: is a folder, not a profile file"),
    (None, ("assess", PROFILE, "--countries", "{tmp}"), "{tmp}: is a folder, not a countries file"),
    (None, ("generate", PROFILE, "--kind", "eula", "-o", "{tmp}"), "{tmp}: is a folder; give the name of the file"),
    (None, ("generate", PROFILE, "--kind", "eula", "-o", "{tmp}", "--force"), "{tmp}: is a folder; give the name"),
    # missing inputs
    (None, ("assess", PROFILE, "--countries", "{tmp}/nope.yaml"), "{tmp}/nope.yaml: countries file not found"),
    (None, ("generate", PROFILE, "--kind", "eula", "-o", "{tmp}/x.docx", "--template", "{tmp}/t.docx"),
     "{tmp}/t.docx: template not found"),
    # an empty profile
    (lambda tmp: (tmp / "p.yaml").write_text(""), ("assess", "{tmp}/p.yaml"),
     "{tmp}/p.yaml: the file is empty; a profile is a mapping of fields"),
    # output names say what is written
    (None, ("generate", PROFILE, "--kind", "eula", "-o", "{tmp}/out.pdf"),
     "{tmp}/out.pdf: this writes a Word document; give a name ending in .docx"),
    (None, ("generate", PROFILE, "--kind", "eula", "-o", "{tmp}/o.docx", "--memo", "{tmp}/memo.md"),
     "{tmp}/memo.md: this writes a Word document"),
    (None, ("review", CONTRACT, "--rider", "{tmp}/rider.txt"), "{tmp}/rider.txt: this writes a Word document"),
    (None, ("review", CONTRACT, "--annotate", "{tmp}/a.pdf"), "{tmp}/a.pdf: this writes a Word document"),
    # one folder policy: no output creates missing folders
    (None, ("generate", PROFILE, "--kind", "eula", "-o", "{tmp}/a/b/x.docx"),
     "{tmp}/a/b/x.docx: folder {tmp}/a/b does not exist"),
    (None, ("review", CONTRACT, "--rider", "{tmp}/a/b/r.docx"), "{tmp}/a/b/r.docx: folder {tmp}/a/b does not exist"),
    (None, ("audit", REPO / "contract_samples", "-o", "{tmp}/a/b/c"), "{tmp}/a/b/c: folder {tmp}/a/b does not exist"),
    (lambda tmp: (tmp / "f").write_text("x"), ("audit", REPO / "contract_samples", "-o", "{tmp}/f"),
     "{tmp}/f: exists and is not a folder"),
])
def test_input_and_output_mistakes_get_one_clear_line(capsys, tmp_path, make, args, message):
    if make:
        make(tmp_path)
    code, out, err = run_main(capsys, *[str(a).replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2, (out, err)
    assert len(err.splitlines()) == 1
    assert err.startswith(f"error: {message.replace('{tmp}', str(tmp_path))}")
    assert not (tmp_path / "a").exists() and not (tmp_path / "out.pdf").exists()


def test_a_file_name_with_a_newline_stays_on_one_line(capsys, tmp_path):
    path = tmp_path / "x\nerror: everything is fine.txt"
    path.write_text("")
    code, out, err = run_main(capsys, "review", path)
    assert code == 2 and len(err.splitlines()) == 1
    assert "x\\nerror: everything is fine.txt" in err


def test_help_is_complete(capsys):
    code, out, _ = run_main(capsys, "--help")
    assert code == 0 and "..." not in out.partition("Commands:")[2]
    for command in ("assess", "audit", "generate", "library", "review"):
        assert re.search(rf"^  {command} +\S.*\.$", out, re.M), out
    _, audit_help, _ = run_main(capsys, "audit", "--help")
    assert "default: CLAUSEGEN_MAX_FILE_BYTES, else 50 MB" in " ".join(audit_help.split())
    for command, option in (("assess", "--format"), ("review", "--format"), ("generate", "--kind")):
        _, text, _ = run_main(capsys, command, "--help")
        assert re.search(rf"{option} \[[^\]]*\]\s+\S", " ".join(text.split())), text
    _, list_help, _ = run_main(capsys, "library", "list", "--help")
    assert "id, strictness, Guidance step, safeguards provided" in " ".join(list_help.split())
    listed = run("library", "list").output.splitlines()[0].split()
    assert listed[1] in ("standard", "strict") and listed[2] == "step"  # the order the help gives
    for sub in ("list", "show"):
        _, text, _ = run_main(capsys, "library", sub, "--help")
        assert "--countries" not in text and "--library" in text


def test_review_fail_on_error_and_missing_required(capsys):
    weak = REPO / "contract_samples" / "contracts" / "weak_purchase_almost_all_missing.txt"
    assert run_main(capsys, "review", weak, "--fail-on", "missing-required")[0] == 1
    assert run_main(capsys, "review", weak, "--fail-on", "error")[0] == 0


@pytest.mark.slow
def test_readme_tour_runs_as_pasted(tmp_path):
    """The README's tour, pasted into a fresh bash (outputs moved from out/tour to a temporary folder)."""
    import os

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## A short tour", 1)[1].split("```", 2)[1]
    script = block.replace("out/tour", str(tmp_path / "tour"))
    assert script.lstrip().startswith(". .venv/bin/activate")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    if not (REPO / ".venv" / "bin" / "activate").exists():
        pytest.skip("no .venv in the repository (make demo creates it)")
    done = subprocess.run(["bash", "-e", "-c", script], cwd=REPO, capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("reseller.docx", "downstream.docx", "memo.docx", "commented.docx", "rider.docx", "audit/dashboard.html",
                 "audit/summary.xlsx", "audit/evidence.csv"):
        assert (tmp_path / "tour" / name).is_file(), name
    assert "end_use_standard" in done.stdout and "ok:" in done.stdout


def test_licence_is_an_spdx_string_for_setuptools():
    """`project.license` as a TOML table made setuptools print a deprecation warning three times per install."""
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["license"] == "Apache-2.0"
    assert data["build-system"]["requires"] == ["setuptools>=77"]  # the first to read an SPDX string
