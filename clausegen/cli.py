"""The command line: thin wrappers over the library functions; errors become one line and exit code 2."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from clausegen import __version__
from clausegen.errors import ClausegenError, LibraryError, escape_controls

FORMATS = ("text", "json", "markdown")
DOCX_OUTPUT = (".docx",)  # what generate, --memo, --annotate and --rider write


class InputError(click.ClickException):
    """A usage or input error: one line (or one line per problem), exit code 2."""

    exit_code = 2


def library_only_option(func):
    """Add --library to a command."""
    return click.option("--library", "library_path", type=click.Path(file_okay=False), default=None,
                        envvar="CLAUSEGEN_LIBRARY", help="Clause library folder (default: the bundled one).")(func)


def library_option(func):
    """Add --library and --countries to a command."""
    func = click.option("--countries", type=click.Path(), default=None,
                        help="Use this countries.yaml (export-control screens) instead of the library's.")(func)
    return library_only_option(func)


def open_library(library_path, countries=None, detection=False, templates=True):
    """Return the loaded library; detection rules are checked only where the reviewer runs (spaCy is slow to import),
    templates only where something is drafted (templates=False: review and audit render nothing)."""
    from clausegen.library import load_library

    if countries:
        check_input(countries, "countries file")
    return load_library(library_path, countries, check_detection=detection, check_templates=templates)


def check_input(path, what: str = "file") -> Path:
    """Return path as a Path when it is an existing file; else a one-line error saying what is wrong with it."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a {what}")
    if not path.exists():
        raise InputError(f"{path}: {what} not found")
    return path


def check_output(path: str | os.PathLike, force: bool, inputs=(), others=(), suffixes=DOCX_OUTPUT) -> Path:
    """Return path as a Path, refusing a name whose suffix is not what is written, a folder, an input file or
    another output of the same command, and an existing file without --force (a symlink, even a dangling one,
    counts as existing). The folder policy of every output: its folder must exist; nothing is created but it."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the name of the file to write")
    for other in (*inputs, *others):
        if other and _same_file(path, other):
            what = "an input" if other in inputs else "another output"
            raise InputError(f"{path}: is also {what} of this command ({other}); choose another file")
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(f"{path}: this writes a Word document; give a name ending in {' or '.join(suffixes)}")
    if os.path.lexists(path) and not force:
        raise InputError(f"{path}: file exists (use --force to overwrite)")
    check_parent(path)
    return path


def check_parent(path: Path) -> None:
    """Refuse an output whose folder does not exist (every output option: a typo must not create folders)."""
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist")


def _same_file(a, b) -> bool:
    """Return True when a and b name the same file (the same path once resolved, or the same inode)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):
        return False


OCR_OPTION = click.option(
    "--ocr", type=click.Choice(["auto", "always", "never"]), default=None,
    help="PDF pages to read by OCR: auto (scanned pages), always or never [default: auto, or CLAUSEGEN_OCR].")


def use_ocr(mode: str | None) -> None:
    """Make `mode` the OCR setting of the ingest limits (CLAUSEGEN_OCR) until the command ends."""
    if mode is None:
        return
    previous = os.environ.get("CLAUSEGEN_OCR")
    os.environ["CLAUSEGEN_OCR"] = mode

    def restore():
        if previous is None:
            os.environ.pop("CLAUSEGEN_OCR", None)
        else:
            os.environ["CLAUSEGEN_OCR"] = previous

    click.get_current_context().call_on_close(restore)


def check_limits() -> None:
    """Fail fast, once, on a malformed CLAUSEGEN_<LIMIT> environment variable (see docs/security.md)."""
    from clausegen.ingest import Limits

    Limits.from_env()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clausegen")
def cli():
    """Draft, review and audit contracts for surveillance-capable products against the 2020 State Department
    Guidance on human-rights due diligence."""


@cli.group("library", short_help="List, show and validate the clause library.")
def library_group():
    """List, show and validate the clause library."""


@library_group.command("list")
@library_only_option
def library_list(library_path):
    """List the clauses: id, strictness, Guidance step, safeguards provided."""
    library = open_library(library_path)
    for clause in sorted(library.clauses.values(), key=lambda c: (c.order, c.id)):
        click.echo(f"{clause.id:38} {clause.strictness:8} step {clause.guidance_step}  {', '.join(clause.provides)}")
    click.echo(f"{len(library.clauses)} clauses, library version {library.version}")


@library_group.command("show")
@click.argument("clause_id")
@library_only_option
def library_show(clause_id, library_path):
    """Show one clause: metadata and its sample rendering."""
    from clausegen.library import render_sample, suggest

    library = open_library(library_path)
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


@cli.command(short_help="Screen a transaction PROFILE against the Guidance's red flags.")
@click.argument("profile", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for the terminal, json for programs, markdown for a file.")
@library_option
def assess(profile, fmt, library_path, countries):
    """Screen a transaction PROFILE (YAML or JSON) against the Guidance's red flags: risk level, red flags raised,
    the safeguards the contract needs and the export-control screen."""
    from clausegen.profile import load_profile
    from clausegen.reports.assessment import render_assessment
    from clausegen.risk import assess as run_assess

    check_input(profile, "profile file")
    library = open_library(library_path, countries)
    result = run_assess(load_profile(profile, library), library)
    click.echo(render_assessment(result, fmt), nl=False)


class FindingsExit(click.ClickException):
    """A refusal on the merits (export screen stopped, draft checker errors): the message, exit code 1."""

    exit_code = 1


@cli.command(short_help="Draft a contract (DOCX) for a transaction PROFILE.")
@click.argument("profile", type=click.Path())
@click.option("--kind", type=click.Choice(["eula", "reseller", "master", "rider", "downstream-eula"]), required=True,
              help="The document: an end-user licence, a reseller agreement, a master agreement, a rider, or the "
                   "licence a reseller must impose on its customers; it must fit the counterparty type.")
@click.option("-o", "--output", required=True, type=click.Path(), help="The DOCX to write (its folder must exist).")
@click.option("--memo", type=click.Path(), default=None, help="Also write the due-diligence memo to this DOCX.")
@click.option("--with-downstream", "downstream", type=click.Path(), default=None,
              help="With --kind reseller: also write the end-user licence the reseller must impose to this DOCX.")
@click.option("--override-stop", "override_stop", default=None, metavar="REASON",
              help="Draft although the export screen stopped; REASON goes into the memo and the properties, and "
                   "every page is marked NOT FOR EXECUTION.")
@click.option("--template", type=click.Path(), default=None,
              help="Render into this firm template (placeholder paragraph {{CLAUSEGEN}}).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@library_option
def generate(profile, kind, output, memo, downstream, override_stop, template, force, library_path, countries):
    """Draft a contract of KIND for PROFILE with the clauses its risk screen requires, then run the draft checker
    on it (exit 1 when the export screen stopped or the checker finds an error)."""
    from clausegen import generate as gen
    from clausegen import memo as memos
    from clausegen.errors import DraftCheckError, ExportStopError
    from clausegen.profile import load_profile
    from clausegen.risk import assess as run_assess
    from clausegen.risk import select_clauses

    check_input(profile, "profile file")
    if template:
        check_input(template, "template")
    inputs = (profile, template)
    out = check_output(output, force, inputs=inputs, others=(memo, downstream))
    memo_path = check_output(memo, force, inputs=inputs, others=(downstream,)) if memo else None
    downstream_path = check_output(downstream, force, inputs=inputs) if downstream else None
    if downstream and kind != "reseller":
        raise InputError("--with-downstream goes with --kind reseller")
    library = open_library(library_path, countries)
    assessment = run_assess(load_profile(profile, library), library)
    kinds = [(kind, out)] + ([("downstream-eula", downstream_path)] if downstream_path else [])
    try:
        for draft_kind, path in kinds:
            result = gen.generate(assessment, library, draft_kind, path, template=template if path == out else None,
                                  override_stop=override_stop)
            click.echo(f"wrote {path} ({len(result.clauses)} safeguard clauses, risk {assessment.level}; "
                       f"draft check: {len(result.problems)} warning{'s' if len(result.problems) != 1 else ''})")
            for problem in result.problems:
                click.echo(f"  {problem.line()}", err=True)
    except (ExportStopError, DraftCheckError) as exc:
        raise FindingsExit(str(exc)) from None
    if memo_path:
        memos.write_memo(assessment, library, memo_path,
                         {k: select_clauses(assessment, library, k) for k, _ in kinds}, override_stop=override_stop)
        click.echo(f"wrote {memo_path}")
    if assessment.export_screen.verdict == "stop":
        click.echo(f"warning: drafted under --override-stop; {assessment.export_screen.message}", err=True)


@cli.command(short_help="Check a generated DOCX, or a PROFILE's drafts, for errors.")
@click.argument("file", type=click.Path())
@library_option
def check(file, library_path, countries):
    """Check a generated DOCX, or every draft of a PROFILE (.yaml/.json), for undefined or unused terms,
    conflicting periods, unbracketed defaults, wrong-role clauses, clashes with the profile, duplicates and a
    kind that does not fit; exit 1 on any error."""
    from clausegen.check import check_file

    library = open_library(library_path, countries)
    results = check_file(file, library)
    errors = 0
    for name, problems in results.items():
        errors += sum(p.severity == "error" for p in problems)
        click.echo(f"{name}: {'ok' if not problems else f'{len(problems)} problem' + ('s' if len(problems) != 1 else '')}")
        for problem in problems:
            click.echo(f"  {problem.line()}")
    if errors:
        raise FindingsExit(f"{file}: the draft checker found {errors} error{'s' if errors != 1 else ''}")


@cli.command(short_help="Review a contract FILE for the ten safeguards.")
@click.argument("file", type=click.Path())
@click.option("--profile", type=click.Path(), default=None, help="Take the required safeguards from this profile.")
@click.option("--format", "fmt", type=click.Choice(FORMATS + ("html",)), default="text", show_default=True,
              help="text for the terminal, json for programs, markdown or html for a file.")
@click.option("--annotate", type=click.Path(), default=None,
              help="Write a copy of the DOCX FILE with a Word comment on each finding (a .docx name).")
@click.option("--rider", type=click.Path(), default=None,
              help="Write a rider (a .docx name) adding the required safeguards that are missing or partial.")
@click.option("--fail-on", type=click.Choice(["missing-required", "error"]), default=None,
              help="Exit 1 when a required safeguard is missing or the review reported an error "
                   "(missing-required), or when it reported an error (error).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@OCR_OPTION
@library_option
def review(file, profile, fmt, annotate, rider, fail_on, force, ocr, library_path, countries):
    """Review a contract FILE (DOCX, PDF, TXT, MD, HTML, RTF) for the ten safeguards."""
    from clausegen.reports.review_formats import render_review
    from clausegen.review import review_file

    use_ocr(ocr)
    check_limits()
    check_input(file, "contract file")
    if profile:
        check_input(profile, "profile file")
    inputs = (file, profile)
    annotate_path = check_output(annotate, force, inputs=inputs, others=(rider,)) if annotate else None
    rider_path = check_output(rider, force, inputs=inputs) if rider else None
    if annotate_path and Path(file).suffix.lower() != ".docx":
        raise InputError(f"{file}: --annotate needs a DOCX input")
    library = open_library(library_path, countries, detection=True, templates=False)
    required = required_from_profile(profile, library) if profile else None
    result = review_file(file, library, required=required)
    click.echo(render_review(result, fmt), nl=False)
    if annotate_path:
        from clausegen.reports.annotated_docx import annotate_docx

        annotate_docx(file, result, annotate_path, library)
        click.echo(f"wrote {annotate_path}", err=True)
    if rider_path:
        from clausegen.reports.rider import write_rider

        from clausegen.profile import load_profile

        write_rider(result, library, rider_path, result.parties, load_profile(profile, library) if profile else None)
        click.echo(f"wrote {rider_path}", err=True)
    if fail_on and result.errors or fail_on == "missing-required" and any(
            f.required and f.status == "missing" for f in result.findings):
        sys.exit(1)


def required_from_profile(profile, library) -> set[str]:
    """Return the safeguards a profile's risk screen requires."""
    from clausegen.profile import load_profile
    from clausegen.risk import assess as run_assess

    return {r.safeguard for r in run_assess(load_profile(profile, library), library).requirements}


@cli.command(short_help="Review a FOLDER of contracts into a spreadsheet and a dashboard.")
@click.argument("folder", type=click.Path())
@click.option("-o", "--output", "outdir", required=True, type=click.Path(),
              help="Folder for results.jsonl, summary.csv, evidence.csv, summary.xlsx, dashboard.html and the cache "
                   "(created if missing; the folder it sits in must exist).")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Worker processes (default: all cores).")
@click.option("--profile", type=click.Path(), default=None, help="Take the required safeguards from this profile.")
@click.option("--fail-on", type=click.Choice(["missing-required", "error"]), default=None,
              help="Exit 1 when any contract misses a required safeguard or any file could not be reviewed "
                   "(missing-required), or when any file could not be reviewed (error).")
@click.option("--max-bytes", type=click.IntRange(1), default=None,
              help="Refuse files larger than this many bytes (default: CLAUSEGEN_MAX_FILE_BYTES, else 50 MB).")
@click.option("--timeout", type=click.FloatRange(0.1), default=None, help="Seconds allowed per file (default: 60).")
@OCR_OPTION
@library_option
def audit(folder, outdir, jobs, profile, fail_on, max_bytes, timeout, ocr, library_path, countries):
    """Review every contract under FOLDER in parallel into a spreadsheet and an HTML dashboard."""
    from clausegen.audit import LibraryRef, run_audit

    use_ocr(ocr)
    if not Path(folder).is_dir():
        raise InputError(f"{folder}: not a folder")
    if Path(outdir).exists() and not Path(outdir).is_dir():
        raise InputError(f"{outdir}: exists and is not a folder")
    check_parent(Path(outdir))
    check_limits()
    if profile:
        check_input(profile, "profile file")
        library = open_library(library_path, countries, detection=True, templates=False)
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


def error_line(message: str) -> str:
    """Return "error: <message>" on one line: control characters (a newline in a file name) escaped."""
    message = escape_controls(str(message))
    if message[:1].isupper() and message[1:2].islower():  # click's "Invalid value" reads as our "invalid value"
        message = message[0].lower() + message[1:]
    return f"error: {message}"


def main(argv=None):
    """Run the CLI; every usage error and ClausegenError becomes one clear line and exit code 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="clausegen", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:  # click's own would print the usage, a blank line and "Error:" over 4 lines
        command = exc.ctx.command_path if exc.ctx else "clausegen"
        click.echo(f"{error_line(exc.format_message())} (see '{command} --help')", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(error_line(exc.format_message()), err=True)
        sys.exit(exc.exit_code)
    except LibraryError as exc:  # a head line, then one line per problem
        click.echo(error_line(str(exc).partition(":")[0] + ":"), err=True)
        for problem in exc.problems:
            click.echo(f"  {escape_controls(problem)}", err=True)
        sys.exit(2)
    except ClausegenError as exc:
        click.echo(error_line(exc), err=True)
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
