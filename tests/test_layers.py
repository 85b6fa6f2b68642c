"""The house's rules, checked on the source: rooms only look down, no circles, Click and files in one room each.

Imports made inside functions count: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "daemon" / "habitd"

# Bottom to top; a module may import its own room and the rooms before it.
ROOMS = ["", "habits", "history", "views", "exchange", "service", "cli"]
TOP = {"habitd.__main__"}  # runs the command line


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def room(module: str) -> str:
    """``habitd.history.store`` and ``habitd.history`` are in ``history``; ``habitd.errors`` in the bottom one."""
    parts = module.split(".")
    top = ".".join(parts[:2])
    return parts[1] if len(parts) > 1 and top in MODULES and _is_package(top) else ""


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def imports(module: str) -> set[str]:
    """The habitd modules (or packages) ``module`` imports, anywhere in its code."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if _is_package(module) else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "habitd")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *base.split(".")])
                base = base.rstrip(".")
            if base.split(".")[0] != "habitd":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m != module}


def third_party(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_rooms_are_the_ones_the_readme_names() -> None:
    rooms = {room(m) for m in MODULES}
    assert rooms == set(ROOMS)
    for name in ROOMS[1:]:
        doc = ast.get_docstring(ast.parse(MODULES[f"habitd.{name}"].read_text(encoding="utf-8")))
        assert doc and "May import" in doc, f"habitd/{name}/__init__.py says what it owns and may import"


def test_rooms_only_look_down() -> None:
    wrong = []
    for module in MODULES:
        if module in TOP:
            continue
        for target in imports(module):
            if ROOMS.index(room(target)) > ROOMS.index(room(module)):
                wrong.append(f"{module} imports {target}")
    assert wrong == [], "a room imports only the rooms below it: see CONTRIBUTING.md#the-map"


def test_each_room_says_what_it_imports() -> None:
    """A room's docstring names (as ``habitd.X``) every room and base module its code imports."""
    missing = []
    for name in ROOMS[1:]:
        package = f"habitd.{name}"
        doc = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8"))) or ""
        allowed = doc.split("May import", 1)[-1]
        for module in (m for m in MODULES if room(m) == name):
            for target in imports(module):
                if room(target) == name:
                    continue
                label = f"habitd.{room(target)}" if room(target) else ".".join(target.split(".")[:2])
                if name != "cli" and f"``{label}``" not in allowed:
                    missing.append(f"{module} imports {target}, which habitd/{name}/__init__.py does not name")
    assert sorted(set(missing)) == []


def test_no_circles_between_modules() -> None:
    graph = {m: imports(m) for m in MODULES}
    circles = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == [], "no two modules import each other, lazily or not"


def test_only_the_command_line_knows_click() -> None:
    outside = sorted(m for m in MODULES if "click" in third_party(m) and room(m) != "cli")
    assert outside == [], "only habitd/cli/ imports click: see CONTRIBUTING.md#the-map"


# Calls that open, write, move, lock or remove files and folders.
FILE_CALLS = {
    "open", "os.open", "os.replace", "os.rename", "os.unlink", "os.remove", "os.mkdir", "os.makedirs", "os.rmdir",
    "os.link", "os.symlink", "os.chmod", "os.fsync", "os.listdir", "os.scandir", "fcntl.flock", "sqlite3.connect",
    "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "shutil.rmtree", "tempfile.mkstemp",
}  # fmt: skip
PATH_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "unlink", "mkdir", "touch", "symlink_to"}
FILE_MODULE = "habitd.history.files"


def file_calls(module: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else f"{func.value.id}.{func.attr}"
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            else ""
        )
        if name == "os.open" and node.args and ast.unparse(node.args[0]) == "os.devnull":
            continue  # stdout pointed at nothing when it cannot be written: no file of the user's
        on_file_module = name.startswith("files.")  # the file module's own functions, called by name
        if name in FILE_CALLS or (isinstance(func, ast.Attribute) and func.attr in PATH_METHODS and not on_file_module):
            found.append(f"{module}:{node.lineno} {name or func.attr}")  # type: ignore[union-attr]
    return found


def test_only_the_file_module_touches_files() -> None:
    """Atomic writes, size limits and private folders hold everywhere only if one module does it all."""
    assert FILE_MODULE in MODULES
    calls = [call for m in MODULES if m.split(".")[:3] != FILE_MODULE.split(".") for call in file_calls(m)]
    assert calls == [], "only habitd/history/files/ touches files: add what you need there"
