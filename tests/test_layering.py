"""Import rules of the package, read from the source (every import, also inside functions).

* Rules (``filters/``) and dedup decisions (``dedup/``) import neither datatrove nor pyspark:
  engines move data, rules decide. The Spark side of dedup (``dedup/spark*.py``) is the one
  exception until the engine seam moves it out (docs/architecture.md).
* ``dedup/`` imports only the shared core (errors, paths, the storage layer, the one CJK
  definition): never stages, the config loader or the engines (its Spark side may use the
  Spark session helpers).
* Stages import only the core of ``pipeline/`` (the document, the stage protocol, the storage
  layer), never the config loader or the engines; the config loader finds them through the
  stage registry.
* datatrove is imported by the local engine and the datatrove adapter only.
* Command-line code lives in ``cli/``: no library module imports it.
* The local/Spark choice is made in ``pipeline/engine.py`` only: no other module imports an
  engine's implementation (the Spark side of dedup may use the Spark session helpers).
* No import cycles between the package's modules (at run time: ``if TYPE_CHECKING:`` imports
  are how a type annotation refers back without a cycle).
* No module over ``MAX_LINES`` lines (none is allowed: ``TOO_LONG`` is empty); no ``sys.path`` edits.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "pretrain_clean"
ENGINE_LIBRARIES = ("datatrove", "pyspark")
SPARK_DEDUP = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.glob("dedup/spark*.py")}
"""Spark engine code that still lives in dedup/ (``dedup/spark*.py``; to move behind the engine seam)."""
STAGE_CORE = {"pretrain_clean.pipeline.document", "pretrain_clean.pipeline.stage", "pretrain_clean.pipeline.storage"}
"""What stages may use of pipeline/: the document, the stage protocol, the storage layer (models on URIs)."""
DEDUP_MAY_IMPORT = {f"pretrain_clean.{m}" for m in (
    "errors", "paths", "native", "pipeline.storage", "pipeline.atomic", "pipeline.fork_map", "filters.cjk")}
"""What dedup shares with the rest: errors, paths, the C-module loader, the storage layer, the forked-process mapper,
the one CJK definition."""
SPARK_DEDUP_MAY_IMPORT = {"pretrain_clean.pipeline.spark_engine", "pretrain_clean.pipeline.spark_start"}
MAX_LINES = 400
TOO_LONG: set[str] = set()
"""Modules allowed over the limit: none (tokenizer/shards.py was split by idea, issue 13)."""
TRAINING = "filters/training/"
"""Model-training helpers: read corpora with the pipeline's readers, so not stage code."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _nodes(tree: ast.AST, runtime_only: bool) -> list[ast.AST]:
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        if runtime_only and _type_checking(node):
            todo.extend(node.orelse)  # the body runs only under a type checker
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def imports(path: Path, runtime_only: bool = False) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (resolved to package modules);
    ``runtime_only`` leaves out ``if TYPE_CHECKING:`` blocks."""
    found: set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8")), runtime_only):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from package import module` imports the module
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULES else node.module)
    return found


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def in_area(area: str) -> list[Path]:
    return [p for p in MODULES.values() if rel(p).startswith(area)]


@pytest.mark.parametrize("area", ["filters/", "dedup/"])
def test_rules_and_dedup_import_no_engine_library(area: str) -> None:
    offenders = {
        rel(p): sorted(m for m in imports(p) if m.split(".")[0] in ENGINE_LIBRARIES)
        for p in in_area(area) if rel(p) not in SPARK_DEDUP
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_datatrove_is_imported_by_the_local_engine_and_the_adapter_only() -> None:
    users = {rel(p) for p in MODULES.values() if any(m.split(".")[0] == "datatrove" for m in imports(p))}
    assert users <= {"pipeline/local_engine.py", "datatrove_steps.py"}, users


ENGINE_IMPLEMENTATIONS = {f"pretrain_clean.{m}" for m in (
    "pipeline.local_engine", "pipeline.spark_engine", "pipeline.spark_start", "dedup.local", "dedup.spark", "tokenizer.shards_spark")}
"""What ``pipeline/engine.py`` chooses between."""


def test_engines_are_chosen_in_the_engine_seam_only() -> None:
    users = {rel(p): sorted(imports(p) & ENGINE_IMPLEMENTATIONS) for p in MODULES.values()
             if imports(p) & ENGINE_IMPLEMENTATIONS}
    assert users.pop("pipeline/engine.py")
    # Spark sides (and the Spark engine's jobs): the context and session helpers
    for spark_side in [*SPARK_DEDUP, "tokenizer/shards_spark.py", "pipeline/spark_engine.py"]:
        if set(users.get(spark_side, [])) <= SPARK_DEDUP_MAY_IMPORT:
            users.pop(spark_side, None)
    assert users == {}


def test_library_modules_import_no_command_line_code() -> None:
    users = {rel(p) for p in MODULES.values() if not rel(p).startswith("cli/")
             and any(m == "pretrain_clean.cli" or m.startswith("pretrain_clean.cli.") for m in imports(p))}
    assert users <= {"__main__.py"}, users


def test_dedup_imports_only_the_shared_core() -> None:
    offenders = {
        rel(p): sorted(m for m in imports(p)
                       if m.startswith("pretrain_clean.") and not m.startswith("pretrain_clean.dedup")
                       and m not in DEDUP_MAY_IMPORT
                       and not (rel(p) in SPARK_DEDUP and m in SPARK_DEDUP_MAY_IMPORT))
        for p in in_area("dedup/")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_stages_import_only_the_pipeline_core() -> None:
    offenders = {
        rel(p): sorted(m for m in imports(p)
                       if m.startswith("pretrain_clean.pipeline") and m not in STAGE_CORE)
        for p in in_area("filters/") if not rel(p).startswith(TRAINING)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_cycles() -> None:
    graph = {name: {m for m in imports(path, runtime_only=True) if m in MODULES and m != name}
             for name, path in MODULES.items()}
    # pipeline.config imports every filters/*.py at run time (load_stage_modules) so stages register
    graph["pretrain_clean.pipeline.config"] |= {module_name(p) for p in (PACKAGE / "filters").glob("*.py")}
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_no_module_over_the_line_limit() -> None:
    sizes = {rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES.values()}
    assert {name for name, n in sizes.items() if n > MAX_LINES} <= TOO_LONG, sizes


def _is_sys_path(node: ast.AST) -> bool:
    """``sys.path`` itself, or an item or slice of it."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return (isinstance(node, ast.Attribute) and node.attr == "path"
            and isinstance(node.value, ast.Name) and node.value.id == "sys")


LIST_EDITS = {"insert", "append", "extend", "remove", "pop", "clear", "reverse", "sort"}


def sys_path_edits(tree: ast.AST) -> list[int]:
    """Lines that change ``sys.path`` (assigned, deleted, added to, or a list method that
    changes it); reading it is allowed (``pipeline/spark_daemon.py`` searches it)."""
    lines = []
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                   else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        called = (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in LIST_EDITS and _is_sys_path(node.func.value))
        if called or any(_is_sys_path(t) for t in targets):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("code", ["sys.path.insert(0, 'x')", "sys.path.append('x')", "sys.path[:0] = ['x']",
                                  "sys.path = ['x']", "sys.path += ['x']", "del sys.path[0]", "sys.path.pop()"])
def test_the_sys_path_check_finds_each_kind_of_edit(code: str) -> None:
    assert sys_path_edits(ast.parse(f"import sys\n{code}\n")) == [2]


def test_the_sys_path_check_allows_reading_it() -> None:
    assert sys_path_edits(ast.parse("import sys\nentries = [p for p in sys.path if p]\nfirst = sys.path[0]\n")) == []


def test_no_sys_path_edits() -> None:
    scripts = [*MODULES.values(), *(ROOT / "jobs").glob("*.py"), *(ROOT / "bench").glob("*.py")]
    offenders = [f"{path.relative_to(ROOT)}:{line}" for path in scripts
                 for line in sys_path_edits(ast.parse(path.read_text(encoding="utf-8")))]
    assert offenders == []


def test_the_rules_punctuation_equals_datatroves() -> None:
    """Our copy of datatrove's tables keeps English decisions identical to datatrove's."""
    text = pytest.importorskip("datatrove.utils.text")
    from pretrain_clean.filters import punctuation

    assert punctuation.PUNCTUATION == text.PUNCTUATION
    assert punctuation.TERMINAL_PUNCTUATION == text.TERMINAL_PUNCTUATION
    assert punctuation.PUNCTUATION_SET == text.PUNCTUATION_SET


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from pyspark.sql import functions as F\n    import datatrove\n")
    assert {"pyspark.sql", "datatrove"} <= imports(source)


def test_type_checking_imports_are_not_run_time_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import typing\nif typing.TYPE_CHECKING:\n    import a\nelse:\n    import b\nimport c\n")
    assert imports(source, runtime_only=True) == {"typing", "b", "c"}
    assert imports(source) == {"typing", "a", "b", "c"}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert sorted(map(sorted, strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}))) == [["a", "b"], ["c"]]


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


def graph_rows() -> list[str]:
    """The table of docs/architecture.md: every module's package-internal imports (package
    ``__init__`` modules without imports left out), engine libraries in bold."""
    rows = []
    for name, path in MODULES.items():
        inner = sorted(m.removeprefix("pretrain_clean.") for m in imports(path) if m in MODULES and m != name)
        engines = sorted({m.split(".")[0] for m in imports(path)} & set(ENGINE_LIBRARIES))
        if path.name == "__init__.py" and not inner and not engines:
            continue
        cell = ", ".join(inner) or "—"
        if engines:
            cell += " · " + ", ".join(f"**{e}**" for e in engines)
        rows.append(f"| `{name.removeprefix('pretrain_clean.')}` | {cell} |")
    return rows


def test_the_architecture_table_lists_every_module_s_imports() -> None:
    """docs/architecture.md's table is this graph (regenerate: ``python tests/test_layering.py``)."""
    lines = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("| module | imports |") + 2
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("| `")), len(lines))
    assert lines[start:end] == graph_rows()


def print_graph() -> None:
    """Print the table of docs/architecture.md (paste it over the old one)."""
    print("\n".join(graph_rows()))


if __name__ == "__main__":
    print_graph()
