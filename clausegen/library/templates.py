"""Load and check the document templates: the contract kinds and the memo, recording every problem."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from clausegen.errors import LibraryError
from clausegen.library.bounded_yaml import read_yaml
from clausegen.library.clauses import CLAUSE_ID, CONDITIONS, load_variables
from clausegen.library.documents import (
    ARTICLE_KEYS,
    CLAUSES_MARKER,
    DOCUMENT_CONTEXT,
    DOCUMENT_FILES,
    DOCUMENT_KEYS,
    DOCUMENT_SAMPLE_CONTEXT,
    MEMO_CONTEXT,
    MEMO_KEYS,
    MEMO_SAMPLE_CONTEXT,
    MEMO_SECTIONS,
    PARTIES_KEYS,
    RECITALS_KEYS,
    REF_CALL,
    REQUIRED_DOCUMENT_KEYS,
    REQUIRED_FULL_DOCUMENT_KEYS,
    SIGNATURE_KEYS,
    DocumentArticle,
    DocumentTemplate,
)
from clausegen.library.problems import Problems, check_keys, expect_mapping, suggest, text_field
from clausegen.model import SAFEGUARD_IDS, Clause, Library, Variable
from clausegen.render import STANDARD_CONTEXT, STANDARD_FUNCTIONS, render_text, template_variables


def load_document_templates(library: Library, check_render: bool = True) -> dict[str, DocumentTemplate]:
    """Return the library's document templates by kind; raise LibraryError listing every problem.

    check_render=False skips rendering each text with sample values (the generator renders them anyway).
    """
    root = Path(library.root)
    folder = root / "documents"
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.yaml"))) \
        if folder.is_dir() else ()
    key = (str(root), check_render, stamp, tuple(sorted(library.clauses)))
    if key not in _DOCUMENT_CACHE:
        problems = Problems(root)
        documents = load_documents(root, library.clauses, problems, check_render)
        if problems.lines:
            raise LibraryError(problems.lines)
        _DOCUMENT_CACHE.clear()  # one library at a time is enough
        _DOCUMENT_CACHE[key] = documents
    return _DOCUMENT_CACHE[key]


_DOCUMENT_CACHE: dict[tuple, dict[str, DocumentTemplate]] = {}


def load_documents(root: Path, clauses: dict[str, Clause], problems: Problems,
                   check_render: bool = True) -> dict[str, DocumentTemplate]:
    """Return documents/<kind>.yaml by kind, recording every problem as "documents/<kind>.yaml -> field: message"."""
    folder = root / "documents"
    documents: dict[str, DocumentTemplate] = {}
    if not folder.is_dir():
        problems.add(folder, "", "missing folder")
        return documents
    for path in sorted(folder.glob("*.yaml")):
        if path.stem not in DOCUMENT_FILES:
            problems.add(path, "", f"unknown document kind '{path.stem}'{suggest(path.stem, DOCUMENT_FILES)}")
    for kind in DOCUMENT_FILES:
        path = folder / f"{kind}.yaml"
        data = read_yaml(path, problems)
        if data is None:
            continue
        data = expect_mapping(data, path, "", problems)
        if data.get("kind") != kind:
            problems.add(path, "kind", f"must be '{kind}', the file name, got {data.get('kind')!r}")
        if kind == "memo":
            template = load_memo_template(path, data, problems, check_render)
        else:
            template = load_contract_template(path, kind, data, clauses, problems, check_render)
        if template is not None:
            documents[kind] = template
    return documents


def load_document_variables(data: Any, path: Path, problems: Problems) -> dict[str, Variable]:
    """Return the `variables:` of a document template: as a clause's, but each needs a default."""
    return load_variables(data, path, problems, need_default=True)


def load_contract_template(path: Path, kind: str, data: dict, clauses: dict[str, Clause],
                           problems: Problems, check_render: bool = True) -> DocumentTemplate | None:
    """Return a contract-kind template (eula, reseller, master, rider, schedule), recording every problem."""
    required = REQUIRED_DOCUMENT_KEYS if kind == "schedule" else REQUIRED_FULL_DOCUMENT_KEYS
    check_keys(data, DOCUMENT_KEYS, required, path, "", problems)
    variables = load_document_variables(data.get("variables"), path, problems)

    roles = expect_mapping(data.get("roles"), path, "roles", problems)
    check_keys(roles, {"supplier", "recipient"}, {"supplier", "recipient"}, path, "roles.", problems)
    parties = expect_mapping(data.get("parties") or {}, path, "parties", problems)
    check_keys(parties, PARTIES_KEYS, {"heading", "supplier", "recipient"} if "parties" in data else set(),
               path, "parties.", problems)
    recitals = expect_mapping(data.get("recitals") or {}, path, "recitals", problems)
    check_keys(recitals, RECITALS_KEYS, {"items"} if "recitals" in data else set(), path, "recitals.", problems)
    if "items" in recitals and not (isinstance(recitals["items"], list) and recitals["items"]):
        problems.add(path, "recitals.items", "expected a list of paragraphs")
    signature = expect_mapping(data.get("signature") or {}, path, "signature", problems)
    check_keys(signature, SIGNATURE_KEYS, {"intro", "lines"} if "signature" in data else set(),
               path, "signature.", problems)
    if "lines" in signature and not (isinstance(signature["lines"], list) and signature["lines"]):
        problems.add(path, "signature.lines", "expected a list of labels (Name, Title, Date)")
    definitions = expect_mapping(data.get("definitions") or {}, path, "definitions", problems)

    articles: list[Any] = []
    ids: set[str] = set()
    markers = 0
    for i, item in enumerate(data.get("articles") or []):
        field_name = f"articles[{i}]"
        if item == CLAUSES_MARKER:
            markers += 1
            articles.append(CLAUSES_MARKER)
            continue
        item = expect_mapping(item, path, field_name, problems)
        aid = str(item.get("id", ""))
        field_name = f"articles.{aid}" if aid else field_name
        check_keys(item, ARTICLE_KEYS, {"id", "title"}, path, f"{field_name}.", problems)
        if aid and not CLAUSE_ID.match(aid):
            problems.add(path, f"{field_name}.id", "use lowercase letters, digits and underscores")
        if aid in ids:
            problems.add(path, f"{field_name}.id", "duplicate article id")
        if aid in clauses or aid in SAFEGUARD_IDS:
            problems.add(path, f"{field_name}.id", "an article id must not be a clause or safeguard id")
        ids.add(aid)
        if not isinstance(item.get("definitions", False), bool):
            problems.add(path, f"{field_name}.definitions", "expected true or false")
        if item.get("after") and not item.get("definitions"):
            problems.add(path, f"{field_name}.after", "only the definitions article has text after the list")
        when = item.get("when") or []
        if not isinstance(when, list) or any(c not in CONDITIONS for c in when):
            problems.add(path, f"{field_name}.when", f"expected a list of conditions ({', '.join(CONDITIONS)})")
            when = []
        articles.append(DocumentArticle(
            id=aid, title=text_field(item, "title", path, f"{field_name}.title", problems),
            text=text_field(item, "text", path, f"{field_name}.text", problems),
            definitions=item.get("definitions") is True,
            after=text_field(item, "after", path, f"{field_name}.after", problems), when=[str(c) for c in when]))
    if "articles" in data and markers != 1:
        problems.add(path, "articles", f"list '{CLAUSES_MARKER}' exactly once (where the selected clauses go), "
                                       f"found {markers}")
    if sum(isinstance(a, DocumentArticle) and a.definitions for a in articles) > 1:
        problems.add(path, "articles", "at most one article may have definitions: true")

    template = DocumentTemplate(
        kind=kind, path=str(path), title=text_field(data, "title", path, "title", problems),
        agreement=text_field(data, "agreement", path, "agreement", problems), roles={k: str(v) for k, v in roles.items()},
        articles=articles, subtitle=text_field(data, "subtitle", path, "subtitle", problems),
        reference=text_field(data, "reference", path, "reference", problems) or "Clause {number}",
        product=text_field(data, "product", path, "product", problems) or "the Product",
        header=text_field(data, "header", path, "header", problems), variables=variables,
        parties={k: str(v) for k, v in parties.items()}, recitals=recitals,
        terms_heading=text_field(data, "terms_heading", path, "terms_heading", problems),
        definitions={str(k): str(v) for k, v in definitions.items()}, signature=signature, raw=data,
    )
    if "{number}" not in template.reference or template.reference.count("{") != 1:
        problems.add(path, "reference", "write the cross-reference with one {number}, e.g. 'Clause {number}'")
    product_term = re.sub(r"^(the|a|an) ", "", template.product)
    if template.definitions and product_term not in template.definitions:
        problems.add(path, "definitions", f"define the product term '{product_term}' (from `product`)")
    check_document_template(template, clauses, problems, check_render)
    return template


def contract_template_texts(template: DocumentTemplate) -> list[tuple[str, str]]:
    """Return every Jinja2 text of a contract template as (field, source)."""
    texts = [("title", template.title), ("subtitle", template.subtitle), ("header", template.header)]
    texts += [(f"parties.{k}", v) for k, v in template.parties.items()]
    texts += [(f"recitals.items[{i}]", str(v)) for i, v in enumerate(template.recitals.get("items") or [])]
    texts += [(f"definitions.{k}", v) for k, v in template.definitions.items()]
    texts += [(f"signature.{k}", str(v)) for k, v in template.signature.items() if k != "lines"]
    texts += [(f"signature.lines[{i}]", str(v)) for i, v in enumerate(template.signature.get("lines") or [])]
    for article in template.articles:
        if isinstance(article, DocumentArticle):
            texts += [(f"articles.{article.id}.title", article.title), (f"articles.{article.id}.text", article.text),
                      (f"articles.{article.id}.after", article.after)]
    return [(f, s) for f, s in texts if s]


def check_document_template(template: DocumentTemplate, clauses: dict[str, Clause], problems: Problems,
                            check_render: bool = True) -> None:
    """Record undeclared variables, unknown ref() targets and texts that do not render with sample values."""
    from clausegen.render import SAMPLE_CONTEXT

    path = Path(template.path)
    allowed = set(STANDARD_CONTEXT) | set(STANDARD_FUNCTIONS) | set(DOCUMENT_CONTEXT) | set(template.variables)
    targets = {a.id for a in template.articles if isinstance(a, DocumentArticle)} | set(SAFEGUARD_IDS) | set(clauses)
    context = dict(SAMPLE_CONTEXT, **DOCUMENT_SAMPLE_CONTEXT, agreement=template.agreement or "this Agreement")
    context.update({name: var.default for name, var in template.variables.items()})
    used: set[str] = set()
    for field_name, source in contract_template_texts(template):
        try:
            names = template_variables(source)
        except Exception as exc:  # jinja2.TemplateSyntaxError and friends
            problems.add(path, field_name, f"syntax error: {exc}")
            continue
        used |= names
        for name in sorted(names - allowed):
            problems.add(path, field_name, f"template variable '{name}' is not declared in variables "
                                           f"nor part of the standard context{suggest(name, allowed)}")
        for target in REF_CALL.findall(source):
            if target not in targets:
                problems.add(path, field_name, f"ref('{target}') names no article, safeguard or clause"
                                               f"{suggest(target, targets)}")
        if check_render and not names - allowed:
            try:
                render_text(source, context, f"{path.name} {field_name}")
            except Exception as exc:  # RenderError names the text
                problems.add(path, field_name, str(exc))
    for name in sorted(set(template.variables) - used):
        problems.add(path, f"variables.{name}", "declared but never used")


def load_memo_template(path: Path, data: dict, problems: Problems, check_render: bool = True) -> DocumentTemplate:
    """Return the memo template; `raw` keeps its sections, each {title, text}."""
    check_keys(data, MEMO_KEYS, MEMO_KEYS, path, "", problems)
    sections = expect_mapping(data.get("sections"), path, "sections", problems)
    check_keys(sections, set(MEMO_SECTIONS), set(MEMO_SECTIONS), path, "sections.", problems)
    texts = [("title", data.get("title")), ("header", data.get("header")), ("memo_to", data.get("memo_to")),
             ("memo_from", data.get("memo_from"))]
    for sid, section in sections.items():
        section = expect_mapping(section, path, f"sections.{sid}", problems)
        check_keys(section, {"title", "text"}, {"title"}, path, f"sections.{sid}.", problems)
        texts += [(f"sections.{sid}.title", section.get("title")), (f"sections.{sid}.text", section.get("text"))]
    sign_off = data.get("sign_off")
    if "sign_off" in data and not (isinstance(sign_off, list) and sign_off and all(isinstance(s, str) for s in sign_off)):
        problems.add(path, "sign_off", "expected a list of roles (Prepared by, Approved by)")
    allowed = set(MEMO_CONTEXT)
    for field_name, source in texts:
        if source is None:
            continue
        if not isinstance(source, str):
            problems.add(path, field_name, f"expected text, got {type(source).__name__}")
            continue
        try:
            names = template_variables(source)
        except Exception as exc:
            problems.add(path, field_name, f"syntax error: {exc}")
            continue
        for name in sorted(names - allowed):
            problems.add(path, field_name, f"template variable '{name}' is not part of the memo context"
                                           f"{suggest(name, allowed)}")
        if check_render and not names - allowed:
            try:
                render_text(source, MEMO_SAMPLE_CONTEXT, f"{path.name} {field_name}")
            except Exception as exc:
                problems.add(path, field_name, str(exc))
    return DocumentTemplate(kind="memo", path=str(path), title=str(data.get("title", "")), agreement="",
                            roles={}, articles=[], header=str(data.get("header") or ""), raw=data)
