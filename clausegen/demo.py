"""The `make demo` job: screen, draft and review the bundled samples into an output folder."""

from __future__ import annotations

import sys
from pathlib import Path

from clausegen.library import load_library
from clausegen.profile import load_profile
from clausegen.reports.assessment import render_assessment
from clausegen.risk import assess

REPO = Path(__file__).resolve().parent.parent


def run_demo(out: Path) -> list[Path]:
    """Write assessments, documents, memos, reviews and an audit of the samples under out; return every file
    written (the audit's cache and lock file included)."""
    from clausegen.audit import run_audit
    from clausegen.gate import fitting_kinds
    from clausegen.generate import generate
    from clausegen.memo import write_memo
    from clausegen.reports.review_formats import render_review
    from clausegen.review import review_file

    library = load_library()
    written: list[Path] = []
    for path in sorted((REPO / "contract_samples" / "profiles").glob("*.yaml")):
        folder = out / "drafts" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        assessment = assess(load_profile(path, library), library)
        report = folder / "assessment.md"
        report.write_text(render_assessment(assessment, "markdown"), encoding="utf-8")
        written.append(report)
        for kind in fitting_kinds(library, assessment.profile.counterparty["type"]):
            target = folder / f"{kind}.docx"
            # A stopped screen is drafted for the demo only, marked NOT FOR EXECUTION on every page.
            generate(assessment, library, kind, target, override_stop="demo of a stopped screen")
            written.append(target)
        memo = folder / "memo.docx"
        write_memo(assessment, library, memo, override_stop="demo of a stopped screen")
        written.append(memo)

    reviews = out / "reviews"
    reviews.mkdir(parents=True, exist_ok=True)
    contracts = REPO / "contract_samples" / "contracts"
    for path in sorted(contracts.glob("*.docx")) + sorted(contracts.glob("*.txt")):
        target = reviews / f"{path.name}.review.md"
        target.write_text(render_review(review_file(path, library), "markdown"), encoding="utf-8")
        written.append(target)

    audit_dir = out / "audit"
    summary = run_audit(contracts, audit_dir, library)
    written += [path for path in sorted(audit_dir.iterdir()) if path.is_file()]  # reports, cache and lock file
    print("\n".join(summary.lines()))
    return written


def main() -> None:
    """Run the demo into the folder named on the command line (default: out)."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out").resolve()
    written = run_demo(out)
    print(f"\nclausegen demo: wrote {len(set(written))} files under {out}")
    for label, pattern in (("risk screens", "drafts/*/assessment.md"), ("contracts", "drafts/*/*.docx"),
                           ("reviews", "reviews/*.md"), ("audit dashboard", "audit/dashboard.html")):
        print(f"  {label:16} {out}/{pattern}")


if __name__ == "__main__":
    main()
