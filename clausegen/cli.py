"""The command line: thin wrappers over the library functions; errors become one line and exit code 2."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from clausegen import __version__
from clausegen.errors import ClausegenError, LibraryError

FORMATS = ("text", "json", "markdown")


class InputError(click.ClickException):
    """A usage or input error: one line (or one line per problem), exit code 2."""

    exit_code = 2


def library_option(func):
    """Add --library and --countries to a command."""
    func = click.option("--countries", type=click.Path(dir_okay=False), default=None,
                        help="Use this countries.yaml (export-control screens) instead of the library's.")(func)
    return click.option("--library", "library_path", type=click.Path(file_okay=False), default=None,
                        envvar="CLAUSEGEN_LIBRARY", help="Clause library folder (default: the bundled one).")(func)


def open_library(library_path, countries=None, detection=False):
    """Return the loaded library; detection rules are checked only where the reviewer runs (spaCy is slow to import)."""
    from clausegen.library import load_library

    return load_library(library_path, countries, check_detection=detection)


def check_output(path: str | os.PathLike, force: bool, inputs=(), others=()) -> Path:
    """Return path as a Path, refusing to overwrite an existing file without --force (a symlink, even a dangling
    one, counts as existing), and refusing always an input file or another output of the same command."""
    path = Path(path)
    for other in (*inputs, *others):
        if other and _same_file(path, other):
            what = "an input" if other in inputs else "another output"
            raise InputError(f"{path}: is also {what} of this command ({other}); choose another file")
    if os.path.lexists(path) and not force:
        raise InputError(f"{path}: file exists (use --force to overwrite)")
    if path.exists() and path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if not path.parent.exists():
        raise InputError(f"{path}: folder {path.parent} does not exist")
    return path


def _same_file(a, b) -> bool:
    """Return True when a and b name the same file (the same path once resolved, or the same inode)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):
        return False


def check_limits() -> None:
    """Fail fast, once, on a malformed CLAUSEGEN_<LIMIT> environment variable (see docs/security.md)."""
    from clausegen.ingest import Limits

    Limits.from_env()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clausegen")
def cli():
    """Draft, review and audit contracts for surveillance-capable products against the 2020 State Department
    Guidance on human-rights due diligence."""


@cli.group("library")
def library_group():
    """List, show and validate the clause library."""


@library_group.command("list")
@library_option
def library_list(library_path, countries):
    """List the clauses: id, strictness, safeguards provided, Guidance step."""
    library = open_library(library_path, countries)
    for clause in sorted(library.clauses.values(), key=lambda c: (c.order, c.id)):
        click.echo(f"{clause.id:38} {clause.strictness:8} step {clause.guidance_step}  {', '.join(clause.provides)}")
    click.echo(f"{len(library.clauses)} clauses, library version {library.version}")


@library_group.command("show")
@click.argument("clause_id")
@library_option
def library_show(clause_id, library_path, countries):
    """Show one clause: metadata and its sample rendering."""
    from clausegen.library import render_sample, suggest

    library = open_library(library_path, countries)
    clause = library.clauses.get(clause_id)
    if clause is None:
        raise InputError(f"unknown clause '{clause_id}'{suggest(clause_id, library.clauses)}")
    click.echo(f"{clause.title}  [{clause.id}]")
    click.echo(f"provides: {', '.join(clause.provides)}; strictness: {clause.strictness}; "
               f"Guidance step {clause.guidance_step}; kinds: {', '.join(clause.kinds)}")
    triggers = clause.triggers["red_flags"] + clause.triggers["conditions"]
    click.echo(f"triggers: {', '.join(triggers) or 'selected through its safeguard'}")
    for name, var in clause.variables.items():
        click.echo(f"variable {name} ({var.type}): {var.description}" + (f" [default: {var.default}]" if var.default is not None else ""))
    click.echo("")
    click.echo(render_sample(clause))


@library_group.command("validate")
@click.option("--library", "library_path", type=click.Path(), default=None, envvar="CLAUSEGEN_LIBRARY",
              help="Clause library folder (default: the bundled one).")
def library_validate(library_path):
    """Check the whole library; print every problem as "file -> field: message"; exit 2 if any."""
    from clausegen.library import read_library

    library, problems = read_library(library_path)
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise InputError(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {library.root}")
    click.echo(f"ok: {len(library.clauses)} clauses, {len(library.red_flags)} red flags, "
               f"{len(library.safeguards)} safeguards, library version {library.version}")


@cli.command()
@click.argument("profile", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@library_option
def assess(profile, fmt, library_path, countries):
    """Screen a transaction PROFILE against the Guidance's red flags."""
    from clausegen.profile import load_profile
    from clausegen.reports.assessment import render_assessment
    from clausegen.risk import assess as run_assess

    library = open_library(library_path, countries)
    result = run_assess(load_profile(profile, library), library)
    click.echo(render_assessment(result, fmt), nl=False)


@cli.command()
@click.argument("profile", type=click.Path())
@click.option("--kind", type=click.Choice(["eula", "reseller", "master", "rider"]), required=True)
@click.option("-o", "--output", required=True, type=click.Path(), help="The DOCX to write.")
@click.option("--memo", type=click.Path(), default=None, help="Also write the due-diligence memo to this DOCX.")
@click.option("--template", type=click.Path(dir_okay=False), default=None,
              help="Render into this firm template (placeholder paragraph {{CLAUSEGEN}}).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@library_option
def generate(profile, kind, output, memo, template, force, library_path, countries):
    """Draft a contract of KIND for PROFILE with the clauses its risk screen requires."""
    from clausegen import generate as gen
    from clausegen.profile import load_profile
    from clausegen.risk import assess as run_assess
    from clausegen.risk import select_clauses

    inputs = (profile, template)
    out = check_output(output, force, inputs=inputs, others=(memo,))
    memo_path = check_output(memo, force, inputs=inputs) if memo else None
    if template and not Path(template).is_file():
        raise InputError(f"{template}: template not found")
    library = open_library(library_path, countries)
    assessment = run_assess(load_profile(profile, library), library)
    result = gen.generate(assessment, library, kind, out, template=template)
    click.echo(f"wrote {out} ({len(result.clauses)} safeguard clauses, risk {assessment.level})")
    if memo_path:
        gen.write_memo(assessment, library, memo_path, {kind: select_clauses(assessment, library, kind)})
        click.echo(f"wrote {memo_path}")
    if assessment.export_screen.verdict == "stop":
        click.echo(f"warning: {assessment.export_screen.message}", err=True)


@cli.command()
@click.argument("file", type=click.Path())
@click.option("--profile", type=click.Path(), default=None, help="Take the required safeguards from this profile.")
@click.option("--format", "fmt", type=click.Choice(FORMATS + ("html",)), default="text", show_default=True)
@click.option("--annotate", type=click.Path(), default=None, help="Write a copy of the DOCX with Word comments.")
@click.option("--rider", type=click.Path(), default=None, help="Write a rider with the missing required clauses.")
@click.option("--fail-on", type=click.Choice(["missing-required", "error"]), default=None,
              help="Exit 1 when a required safeguard is missing or the review reported an error "
                   "(missing-required), or when it reported an error (error).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@library_option
def review(file, profile, fmt, annotate, rider, fail_on, force, library_path, countries):
    """Review a contract FILE (DOCX, PDF, TXT, MD, HTML) for the ten safeguards."""
    from clausegen.reports.review_formats import render_review
    from clausegen.review import review_file

    check_limits()
    inputs = (file, profile)
    annotate_path = check_output(annotate, force, inputs=inputs, others=(rider,)) if annotate else None
    rider_path = check_output(rider, force, inputs=inputs) if rider else None
    if annotate_path and Path(file).suffix.lower() != ".docx":
        raise InputError(f"{file}: --annotate needs a DOCX input")
    library = open_library(library_path, countries, detection=True)
    required = required_from_profile(profile, library) if profile else None
    result = review_file(file, library, required=required)
    click.echo(render_review(result, fmt), nl=False)
    if annotate_path:
        from clausegen.reports.annotated_docx import annotate_docx

        annotate_docx(file, result, annotate_path)
        click.echo(f"wrote {annotate_path}", err=True)
    if rider_path:
        from clausegen.reports.rider import write_rider

        write_rider(result, library, rider_path, result.parties)
        click.echo(f"wrote {rider_path}", err=True)
    if fail_on and result.errors or fail_on == "missing-required" and any(
            f.required and f.status == "missing" for f in result.findings):
        sys.exit(1)


def required_from_profile(profile, library) -> set[str]:
    """Return the safeguards a profile's risk screen requires."""
    from clausegen.profile import load_profile
    from clausegen.risk import assess as run_assess

    return {r.safeguard for r in run_assess(load_profile(profile, library), library).requirements}


@cli.command()
@click.argument("folder", type=click.Path())
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for results.jsonl, summary.csv/xlsx, dashboard.html and the cache.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Worker processes (default: all cores).")
@click.option("--profile", type=click.Path(), default=None, help="Take the required safeguards from this profile.")
@click.option("--fail-on", type=click.Choice(["missing-required", "error"]), default=None,
              help="Exit 1 when any contract misses a required safeguard or any file could not be reviewed "
                   "(missing-required), or when any file could not be reviewed (error).")
@click.option("--max-bytes", type=click.IntRange(1), default=None, help="Refuse files larger than this.")
@click.option("--timeout", type=click.FloatRange(0.1), default=None, help="Seconds allowed per file.")
@library_option
def audit(folder, outdir, jobs, profile, fail_on, max_bytes, timeout, library_path, countries):
    """Review every contract under FOLDER in parallel into a spreadsheet and an HTML dashboard."""
    from clausegen.audit import LibraryRef, run_audit

    if not Path(folder).is_dir():
        raise InputError(f"{folder}: not a folder")
    check_limits()
    if profile:
        library = open_library(library_path, countries, detection=True)
        required = required_from_profile(profile, library)
    else:  # loaded (and validated) by the audit only if a file needs reviewing: a cached re-run stays fast
        library, required = LibraryRef(library_path, countries), None
    summary = run_audit(folder, outdir, library, jobs=jobs, required=required, max_bytes=max_bytes, timeout=timeout)
    for line in summary.lines():
        click.echo(line)
    failures = audit_failures(summary, fail_on)
    if failures:
        click.echo(f"failed (--fail-on {fail_on}): {failures}", err=True)
        sys.exit(1)


def audit_failures(summary, fail_on: str | None) -> str:
    """Return why --fail-on fails the audit, or "": an unreadable file fails missing-required too, because its
    required safeguards cannot be shown present."""
    reasons = []
    if fail_on in ("missing-required", "error") and summary.errors:
        reasons.append(f"{summary.errors} file{'s' if summary.errors != 1 else ''} could not be reviewed")
    if fail_on == "missing-required" and summary.missing_required:
        reasons.append(f"{summary.missing_required} required safeguards missing in "
                       f"{summary.documents_missing_required} document{'s' if summary.documents_missing_required != 1 else ''}")
    return "; ".join(reasons)


def main(argv=None):
    """Run the CLI; every ClausegenError becomes one clear line and exit code 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="clausegen", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except LibraryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ClausegenError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: say so in one line; CLAUSEGEN_DEBUG=1 shows the traceback
        if os.environ.get("CLAUSEGEN_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (set CLAUSEGEN_DEBUG=1 for details)", err=True)
        sys.exit(2)
    sys.exit(0)


if __name__ == "__main__":
    main()
