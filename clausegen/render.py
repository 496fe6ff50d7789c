"""Render clause and document templates with sandboxed Jinja2 and StrictUndefined."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from clausegen.errors import RenderError

# Context every clause template may use without declaring it; the generator fills these from the profile
# and the reviewer from the reviewed contract's parties.
STANDARD_CONTEXT = {
    "supplier": "the legal name of the party furnishing the product",
    "recipient": "the legal name of the party receiving the product",
    "supplier_term": "the defined role term for the supplier (Licensor, Supplier, Company)",
    "recipient_term": "the defined role term for the recipient (Licensee, Customer, Reseller)",
    "product": "the defined term for what is supplied (the Product)",
    "product_name": "the commercial name of the product",
    "country": "the destination country's name",
    "agreement": "how the document calls itself (this Agreement, this Rider)",
}
STANDARD_FUNCTIONS = ("ref",)

SAMPLE_CONTEXT = {
    "supplier": "Northwind Vision Systems, Inc.",
    "recipient": "Example Customer Ltd",
    "supplier_term": "Supplier",
    "recipient_term": "Customer",
    "product": "the Product",
    "product_name": "Northwind Sentinel",
    "country": "Examplestan",
    "agreement": "this Agreement",
}
UNRESOLVED_REF = "the applicable provisions of {agreement}"


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """Return the shared sandboxed environment (no autoescape: output is DOCX text, not HTML)."""
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_variables(source: str) -> set[str]:
    """Return the names a template reads from its context."""
    ast = environment().parse(source)
    return set(meta.find_undeclared_variables(ast))


def make_ref(refs: dict[str, str], agreement: str) -> Callable[[str], str]:
    """Return the `ref(safeguard_or_clause_id)` function templates call for cross-references."""

    def ref(target: str) -> str:
        return refs.get(str(target), UNRESOLVED_REF.format(agreement=agreement))

    return ref


def render_text(source: str, context: dict[str, Any], name: str, refs: dict[str, str] | None = None) -> str:
    """Render one template to text; a missing variable raises RenderError naming `name` and the variable."""
    values = dict(context)
    values["ref"] = make_ref(refs or {}, str(values.get("agreement", "this Agreement")))
    try:
        template = environment().from_string(source)
        text = template.render(values)
    except jinja2.UndefinedError as exc:
        raise RenderError(f"{name}: {exc.message} (declare it or give it a value)") from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{name}: template syntax error on line {exc.lineno}: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise RenderError(f"{name}: refused by the template sandbox: {exc}") from None
    except (jinja2.TemplateError, TypeError) as exc:  # e.g. {% include %}: no loader, so templates cannot read files
        raise RenderError(f"{name}: template cannot be rendered: {exc}") from None
    except Exception as exc:  # range(10**9) (OverflowError), a macro calling itself (RecursionError), ...
        message = " ".join(str(exc).split())[:200]
        raise RenderError(f"{name}: template cannot be rendered ({type(exc).__name__}: {message})") from None
    return normalise(text)


def normalise(text: str) -> str:
    """Return text with paragraphs separated by exactly one blank line and no trailing spaces."""
    paragraphs = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.rstrip() for line in block.strip("\n").split("\n")]
        block = "\n".join(line for line in lines if line.strip())
        if block.strip():
            paragraphs.append(block.strip())
    return "\n\n".join(paragraphs)


def paragraphs(text: str) -> list[tuple[int, str]]:
    """Return rendered clause text as (level, text) items: 2 for a sub-clause, 3 for a "- " list item."""
    items: list[tuple[int, str]] = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("- ") for line in lines):
            items.extend((3, line[2:].strip()) for line in lines)
        else:
            items.append((2, " ".join(line.strip() for line in lines)))
    return items
