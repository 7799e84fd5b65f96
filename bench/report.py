"""Write one benchmark's section of docs/benchmarks.md, leaving the other sections alone."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(section: str, body: str, command: str) -> None:
    """Replace (or append) the `## ...` section titled `section`."""
    old = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"{section}\n\nCommand: `.venv/bin/python {command}`\n\n{body}\n"
    if section in old:
        start = old.index(section)
        nxt = old.find("\n## ", start + len(section))
        new = old[:start] + block + ("\n" + old[nxt + 1 :] if nxt != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(new)
