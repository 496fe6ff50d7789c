"""Render clause and document templates with sandboxed Jinja2 and StrictUndefined."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

import jinja2
from jinja2 import meta
from jinja2.exceptions import SecurityError
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


MAX_FORMAT_WIDTH = 10_000  # '%0999999999d' % 1 would build a 1 GB string (45 s and 3.8 GB, measured)
MAX_REPEAT_ITEMS = 1_000_000  # "x" * 10**9 likewise
_WIDTHS = (re.compile(r"%[#0\- +]*(\d*)(?:\.(\d*))?"), re.compile(r"\{[^{}]*?:[^{}\d]*(\d*)(?:\.(\d*))?"))


def check_format(fmt: str) -> None:
    """Refuse a printf or str.format format string with a width or precision over MAX_FORMAT_WIDTH."""
    for pattern in _WIDTHS:
        for match in pattern.finditer(fmt):
            if any(group and int(group) > MAX_FORMAT_WIDTH for group in match.groups()):
                raise SecurityError(f"format width {match.group()!r} is over {MAX_FORMAT_WIDTH:,}")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, also bounding what one expression can build: format widths, repetition, powers."""

    intercepted_binops = frozenset({"%", "*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "%" and isinstance(left, str):
            check_format(left)
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT_ITEMS:
                    raise SecurityError(f"repetition builds more than {MAX_REPEAT_ITEMS:,} items")
        elif operator == "**" and isinstance(right, int) and abs(right) > 1000:
            raise SecurityError("exponent over 1,000")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value):
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None

        def bounded(*args, **kwargs):
            check_format(value.__self__)
            return wrapped(*args, **kwargs)

        return bounded


def _bounded_format(value, *args, **kwargs):
    check_format(str(value))
    return jinja2.filters.do_format(value, *args, **kwargs)


def _bounded_center(value, width=80):
    if int(width) > MAX_FORMAT_WIDTH:
        raise SecurityError(f"center width over {MAX_FORMAT_WIDTH:,}")
    return jinja2.filters.do_center(value, width)


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """Return the shared sandboxed environment (no autoescape: output is DOCX text, not HTML)."""
    env = BoundedSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(format=_bounded_format, center=_bounded_center)
    return env


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
        message = " ".join(str(exc).split())[:200] or "no message"  # MemoryError has none
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
