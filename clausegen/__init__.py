"""clausegen: human-rights due-diligence clauses for surveillance-capable products."""

__version__ = "0.1.0"
