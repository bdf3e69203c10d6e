"""The package layout shows the pipeline: every import of a `monitor` module points down the layers.

Layers, bottom first (a package may import its own modules and the packages its row lists):

| package | may import |
| --- | --- |
| core: `monitor`, `monitor.types`, `monitor.errors`, `monitor.wire`, `monitor.headers`, `monitor.urls`, `monitor.text` | stdlib and libraries only |
| `monitor.config` | core |
| `monitor.store` | core |
| `monitor.ingest` | core, config |
| `monitor.relevance` | core, config |
| `monitor.stories` | core, config, relevance (the semantic signal and name matching) |
| `monitor.delivery` | core, config, store |
| `monitor.pipeline` | every stage above |
| `monitor.service` | everything above |
| `monitor.commands`, `monitor.cli`, `monitor.__main__` | everything |

The test reads the source (no import), so it also catches imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

CORE = {"monitor", "monitor.types", "monitor.errors", "monitor.wire", "monitor.headers", "monitor.urls", "monitor.text"}
STAGES = {"config", "store", "ingest", "relevance", "stories", "delivery"}
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "config": {"core"},
    "store": {"core"},
    "ingest": {"core", "config"},
    "relevance": {"core", "config"},
    "stories": {"core", "config", "relevance"},
    "delivery": {"core", "config", "store"},
    "pipeline": {"core"} | STAGES,
    "service": {"core", "pipeline"} | STAGES,
    "commands": {"core", "pipeline", "service", "cli"} | STAGES,
    "cli": {"core", "pipeline", "service", "commands"} | STAGES,
}


def layer(module: str) -> str:
    """The layer of a dotted module name inside `monitor`."""
    if module in CORE:
        return "core"
    part = module.split(".")[1]
    return "cli" if part in ("cli", "__main__") else part


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def monitor_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of a monitor module in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "monitor"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "monitor":
                continue
            for alias in node.names:  # `from monitor import wire` imports the module monitor.wire
                sub = f"{base}.{alias.name}"
                out.append((node.lineno, sub if (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or (ROOT / Path(*sub.split("."))).is_dir() else base))
    return out


def violations() -> list[str]:
    found = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        mine = layer(module_name(path))
        for line, target in monitor_imports(path):
            theirs = layer(target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                found.append(f"{path.relative_to(ROOT)}:{line}: {mine} imports {target} ({theirs})")
    return found


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    # the checker itself must be able to fail: a store module importing the pipeline is caught
    probe = ROOT / "monitor" / "store" / "_layout_probe.py"
    probe.write_text("from monitor.pipeline import run_feed\n")
    try:
        assert any("_layout_probe.py:1: store imports monitor.pipeline" in v for v in violations())
    finally:
        probe.unlink()


def test_every_package_says_its_job_and_what_it_may_import() -> None:
    for package in sorted(p for p in (ROOT / "monitor").iterdir() if (p / "__init__.py").exists()):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, f"{package.name}/__init__.py: docstring must say its job and what it may import"
