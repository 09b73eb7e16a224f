"""The house rules no linter can state, checked by reading the source: no database, no Django.

    python -m tests.house            # every check; exits non-zero naming each offence
    python -m tests.house --list     # the checks and the rule each holds

``make lint`` runs it; ``tests/test_house.py`` runs each check under pytest and proves each one
finds the offence it is for. Nothing here keeps a list of the modules to check: views, APIs and
services are found by their names and by what the URLconfs import, so a module written
tomorrow is checked tomorrow. The one list is ``SCHEMA_ROOMS``, the places allowed to switch
schema, each with its reason; ruff's ``TID251`` ignores in pyproject.toml must name the same.
"""

from __future__ import annotations

import argparse
import ast
import functools
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
# Never project source: tests check the house from outside, and the rest is not ours.
SKIPPED_DIRECTORIES = {"tests", ".venv", ".data", "migrations", "node_modules", "staticfiles"}

# The only places that may switch the connection's schema (STYLE.md "Tenancy rules").
SCHEMA_ROOMS: dict[str, str] = {
    "tenants/": "provisioning, bootstrapping and the task boundary (tenants.boundary: commands, "
    "the demo and the queue's jobs) loop over members",
    "sharing/": "reads across members that an agreement allows",
    "reporting/": "consortium aggregates and research pools read every member",
    "bench/": "benchmarks build members and time pages from outside, as the tests do",
}
SWITCH_METHODS = {"set_tenant", "set_schema", "set_schema_to_public"}
SWITCH_CONTEXTS = {"schema_context", "tenant_context"}
# SET [SESSION|LOCAL] search_path, or set_config('search_path', ...): both switch schema.
SEARCH_PATH_SQL = re.compile(
    r"\bSET\s+(?:SESSION\s+|LOCAL\s+)?search_path\b|\bset_config\s*\(\s*'search_path'",
    re.IGNORECASE,
)

# Methods that write through a model, a queryset, a manager, a form or a serializer.
WRITE_METHODS = {"save", "delete", "create", "get_or_create", "update_or_create",
                 "bulk_create", "bulk_update"}  # fmt: skip
RELATION_WRITES = {"add", "remove", "set", "clear"}
# Django's cache, session and file storage share method names with models but write no row.
NOT_MODELS = {"cache", "session", "messages", "storage", "default_storage"}
# A queryset built in place: ``Model.objects.filter(...).update(...)``.
QUERYSET_METHODS = {"all", "filter", "exclude", "select_for_update", "select_related",
                    "prefetch_related", "order_by", "annotate", "only", "defer", "using",
                    "distinct", "none"}  # fmt: skip

# DRF classes whose default create/update/destroy write without a service.
DRF_WRITES: dict[str, set[str]] = {
    "ModelViewSet": {"create", "update", "destroy"},
    "CreateModelMixin": {"create"},
    "UpdateModelMixin": {"update"},
    "DestroyModelMixin": {"destroy"},
    "CreateAPIView": {"create"},
    "ListCreateAPIView": {"create"},
    "UpdateAPIView": {"update"},
    "RetrieveUpdateAPIView": {"update"},
    "DestroyAPIView": {"destroy"},
    "RetrieveDestroyAPIView": {"destroy"},
    "RetrieveUpdateDestroyAPIView": {"update", "destroy"},
}
# The HTTP methods that reach each action: a viewset that refuses them needs no override.
ACTION_METHODS = {"create": {"post"}, "update": {"put", "patch"}, "destroy": {"delete"}}

# A private helper that decides who may do something: predicates live in <app>/permissions.py.
PERMISSION_HELPER = re.compile(
    r"^_(?:is|can|may|require|requires|ensure|must)_|^_.*_(?:only|required)$"
)
# Outside views a private ``_check_...`` is usually validation; one named for a role is not.
ROLE_HELPER = re.compile(
    r"^_(?:is|can|may|require|requires|ensure|must|check)_(?:admin|manager|staff|researcher)"
    r"|^_(?:admin|manager|staff|researcher)s?_only$"
)


@dataclass(frozen=True)
class Offence:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Source:
    """One module: its path from the project root (POSIX) and its syntax tree."""

    path: str
    tree: ast.Module = field(repr=False)

    @classmethod
    def parse(cls, path: str, text: str) -> Source:
        return cls(path=path, tree=ast.parse(text, filename=path))

    @property
    def module(self) -> str:
        parts = list(PurePosixPath(self.path).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        if self.path.endswith("__init__.py"):
            return self.module
        return self.module.rpartition(".")[0]


@functools.cache
def project_sources(root: Path = ROOT) -> list[Source]:
    """Every Python file of the project but tests, migrations and what is not ours (read once
    per run)."""
    sources = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(p in SKIPPED_DIRECTORIES or p.startswith(".") for p in relative.parts[:-1]):
            continue
        sources.append(Source.parse(relative.as_posix(), path.read_text(encoding="utf-8")))
    return sources


def _in_room(path: str, rooms: Iterable[str]) -> bool:
    return any(path == room or (room.endswith("/") and path.startswith(room)) for room in rooms)


def _docstring_like(tree: ast.AST) -> set[int]:
    """Ids of string constants that stand alone as statements (docstrings): prose, not SQL."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


# --- 1. Schema switching -------------------------------------------------------------------------


def schema_switches(
    sources: Iterable[Source], rooms: Iterable[str] = SCHEMA_ROOMS
) -> list[Offence]:
    """Outside the rooms, nothing switches schema: no ``connection.set_tenant`` /
    ``set_schema`` / ``set_schema_to_public``, no ``schema_context`` / ``tenant_context``, no
    ``SET search_path`` in SQL."""
    rooms = list(rooms)
    offences = []
    for source in sources:
        if _in_room(source.path, rooms):
            continue
        prose = _docstring_like(source.tree)
        for node in ast.walk(source.tree):
            name = None
            if isinstance(node, ast.Attribute) and node.attr in SWITCH_METHODS | SWITCH_CONTEXTS:
                name = node.attr
            elif isinstance(node, ast.Name) and node.id in SWITCH_CONTEXTS:
                name = node.id
            elif isinstance(node, ast.alias) and node.name.rpartition(".")[2] in SWITCH_CONTEXTS:
                name = node.name
            if name:
                offences.append(Offence(source.path, node.lineno, f"switches schema ({name})"))
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in prose
                and SEARCH_PATH_SQL.search(node.value)
            ):
                offences.append(
                    Offence(source.path, node.lineno, "switches schema (SET search_path in SQL)")
                )
    return sorted(set(offences), key=_order)


def schema_rooms_agree_with_ruff(pyproject: Path = PYPROJECT) -> list[Offence]:
    """Ruff's ``TID251`` ignores (the import ban) name exactly the rooms of ``SCHEMA_ROOMS``."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    ruff_rooms = {
        pattern.removesuffix("**") for pattern, codes in ignores.items() if "TID251" in codes
    } - {"tests/"}
    offences = [
        Offence("pyproject.toml", 1, f"ruff lets {room!r} switch schema; SCHEMA_ROOMS does not")
        for room in sorted(ruff_rooms - set(SCHEMA_ROOMS))
    ]
    offences += [
        Offence("tests/house.py", 1, f"SCHEMA_ROOMS lets {room!r} switch schema; ruff does not")
        for room in sorted(set(SCHEMA_ROOMS) - ruff_rooms)
    ]
    return offences


# --- 2. Services take acting_user ----------------------------------------------------------------


def is_services_module(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return len(parts) >= 2 and (
        parts[1] in ("services.py", "services")
        or (len(parts) == 2 and parts[1].endswith("_services.py"))
    )


def services_without_acting_user(sources: Iterable[Source]) -> list[Offence]:
    """Every public function of a services module or package takes keyword-only ``acting_user``."""
    offences = []
    for source in sources:
        if not is_services_module(source.path):
            continue
        for node in source.tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.name.startswith("_"):
                continue
            if "acting_user" not in {arg.arg for arg in node.args.kwonlyargs}:
                offences.append(
                    Offence(
                        source.path, node.lineno, f"{node.name}() takes no keyword-only acting_user"
                    )
                )
    return sorted(offences, key=_order)


# --- 3. Views and APIs write nothing themselves --------------------------------------------------


def _is_urls_module(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.startswith("urls") or name.endswith("_urls.py")


def _named_view_module(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return (
        name in ("views.py", "api.py")
        or name.endswith("_views.py")
        or (len(parts) >= 2 and parts[-2] in ("views", "api"))
    )


def _resolve(source: Source, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = source.package.split(".") if source.package else []
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def view_modules(sources: Iterable[Source]) -> list[Source]:
    """Modules named like views or APIs, and every module (or package) a URLconf imports."""
    sources = list(sources)
    by_module = {source.module: source for source in sources}
    chosen = {source.module for source in sources if _named_view_module(source.path)}
    for source in sources:
        if not _is_urls_module(source.path):
            continue
        for node in ast.walk(source.tree):
            if isinstance(node, ast.ImportFrom):
                # ``from . import views`` names a module; ``from .views import x`` its contents.
                base = _resolve(source, node)
                named = [f"{base}.{alias.name}" for alias in node.names]
                candidates = [name for name in named if name in by_module] or [base]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            for name in candidates:
                if name in by_module and not _is_urls_module(by_module[name].path):
                    chosen.add(name)
    return [
        source
        for source in sources
        if any(source.module == m or source.module.startswith(f"{m}.") for m in chosen)
    ]


def _receiver_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _queryset_like(node: ast.expr) -> bool:
    """``X.objects``, ``x.related_set`` or a chain of queryset methods."""
    if isinstance(node, ast.Attribute):
        return node.attr == "objects" or node.attr.endswith("_set")
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in QUERYSET_METHODS
    )


def _write_call(node: ast.Call) -> bool:
    if not isinstance(node.func, ast.Attribute):
        return False
    method, receiver = node.func.attr, node.func.value
    if _receiver_name(receiver) in NOT_MODELS:
        return False
    if method in WRITE_METHODS:
        return True
    if method == "update":
        return _queryset_like(receiver)
    # ``contact.tags.add(...)``: a many-to-many write. A bare name is a set, not a relation.
    return method in RELATION_WRITES and isinstance(receiver, ast.Attribute)


def view_writes(sources: Iterable[Source]) -> list[Offence]:
    """No view or API module writes a model itself: writes go through a service."""
    offences = []
    for source in view_modules(sources):
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and _write_call(node):
                call = ast.unparse(node.func)
                offences.append(
                    Offence(source.path, node.lineno, f"{call}() writes a model: call a service")
                )
    return sorted(offences, key=_order)


# --- 4. DRF's default writes ---------------------------------------------------------------------


@dataclass
class _Class:
    source: Source
    node: ast.ClassDef

    @property
    def methods(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        return {
            item.name: item
            for item in self.node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    @property
    def http_method_names(self) -> set[str] | None:
        for item in self.node.body:
            if (
                isinstance(item, ast.Assign)
                and any(
                    isinstance(t, ast.Name) and t.id == "http_method_names" for t in item.targets
                )
                and isinstance(item.value, ast.List | ast.Tuple)
            ):
                return {e.value for e in item.value.elts if isinstance(e, ast.Constant)}
        return None


def _class_index(sources: Iterable[Source]) -> dict[tuple[str, str], _Class]:
    return {
        (source.module, node.name): _Class(source, node)
        for source in sources
        for node in source.tree.body
        if isinstance(node, ast.ClassDef)
    }


def _imported_names(source: Source) -> dict[str, str]:
    """``name -> module`` for each ``from module import name`` of the module."""
    names = {}
    for node in source.tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                names[alias.asname or alias.name] = _resolve(source, node)
    return names


def _calls_super(function: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
        for node in ast.walk(function)
    )


def viewsets_without_perform(sources: Iterable[Source]) -> list[Offence]:
    """A DRF view that creates, updates or destroys overrides ``perform_<action>`` (or the
    action itself without calling DRF's): DRF's defaults write without a service."""
    sources = list(sources)
    index = _class_index(sources)

    def ancestry(cls: _Class, seen: frozenset = frozenset()) -> tuple[set[str], list[_Class]]:
        """The write actions DRF gives the class, and the project classes it inherits from."""
        actions: set[str] = set()
        lineage = [cls]
        imported = _imported_names(cls.source)
        for base in cls.node.bases:
            name = _receiver_name(base)
            if name is None:
                continue
            actions |= DRF_WRITES.get(name, set())
            key = (imported.get(name, cls.source.module), name)
            if key in index and key not in seen:
                more, parents = ancestry(index[key], seen | {key})
                actions |= more
                lineage += parents
        return actions, lineage

    offences = []
    for source in view_modules(sources):
        for node in source.tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            cls = index[(source.module, node.name)]
            actions, lineage = ancestry(cls)
            methods: dict[str, ast.AST] = {}
            allowed = None
            for ancestor in reversed(lineage):
                methods.update(ancestor.methods)
                allowed = ancestor.http_method_names or allowed
            for action in sorted(actions):
                if allowed is not None and not allowed & ACTION_METHODS[action]:
                    continue
                if f"perform_{action}" in methods:
                    continue
                if action in methods and not _calls_super(methods[action]):
                    continue
                offences.append(
                    Offence(
                        source.path,
                        node.lineno,
                        f"{node.name} uses DRF's default perform_{action}: override it to call a "
                        "service",
                    )
                )
    return sorted(offences, key=_order)


# --- 5. Permission predicates live in permissions.py ---------------------------------------------


def is_permissions_module(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return "permissions" in parts[:-1] or parts[-1].endswith("permissions.py")


def permission_helpers(sources: Iterable[Source]) -> list[Offence]:
    """No private permission helper (``_is_manager``, ``_admin_only``, ``_require_admin``) in
    a view or API module, nor one named for a role anywhere else: predicates live in
    ``<app>/permissions.py``."""
    sources = list(sources)
    views = {source.path for source in view_modules(sources)}
    offences = []
    for source in sources:
        if is_permissions_module(source.path):
            continue
        pattern = PERMISSION_HELPER if source.path in views else ROLE_HELPER
        for node in ast.walk(source.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and pattern.match(
                node.name
            ):
                offences.append(
                    Offence(
                        source.path,
                        node.lineno,
                        f"{node.name}() is a private permission helper: predicates live in "
                        "<app>/permissions.py",
                    )
                )
    return sorted(offences, key=_order)


def _role_like(node: ast.expr) -> bool:
    if isinstance(node, ast.Name | ast.Attribute):
        return (_receiver_name(node) or "").endswith("role")
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and str(node.slice.value).endswith("role")
    # getattr(membership, "role", "")
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and str(node.args[1].value).endswith("role")
    )


def _string_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return bool(node.elts) and all(_string_literal(e) for e in node.elts)
    return False


def role_literals(sources: Iterable[Source]) -> list[Offence]:
    """No role is compared against a string literal (``role == "manager"``): compare with the
    choices (``Role.MANAGER``), so a renamed value cannot silently match nothing."""
    offences = []
    for source in sources:
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
                if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                    continue
                if (_role_like(left) and _string_literal(right)) or (
                    _role_like(right) and _string_literal(left)
                ):
                    offences.append(
                        Offence(
                            source.path,
                            node.lineno,
                            f"compares a role with a string literal ({ast.unparse(node)})",
                        )
                    )
    return sorted(offences, key=_order)


# --- 6. The import graph -------------------------------------------------------------------------


def _import_linter() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]


def project_packages(root: Path = ROOT) -> set[str]:
    """Top-level packages of the project (tests stand outside the house)."""
    return {
        path.parent.name
        for path in root.glob("*/__init__.py")
        if path.parent.name not in SKIPPED_DIRECTORIES
    }


def contracts_cover_every_app(root: Path = ROOT) -> list[Offence]:
    """Every project package is a root of import-linter's graph and has its place in the
    layers contract: an app added later cannot sit outside the house (import-linter's own
    ``exhaustive`` needs a container package, which this project does not have)."""
    config = _import_linter()
    layered: set[str] = set()
    for contract in config["contracts"]:
        if contract["type"] == "layers":
            for layer in contract["layers"]:
                layered |= {name.strip() for name in re.split(r"[|:]", layer) if name.strip()}
    offences = []
    for package in sorted(project_packages(root)):
        if package not in config["root_packages"]:
            offences.append(
                Offence(
                    "pyproject.toml", 1, f"{package} is not in [tool.importlinter] root_packages"
                )
            )
        if package not in layered:
            offences.append(Offence("pyproject.toml", 1, f"{package} has no layer"))
    return offences


def module_cycles(packages: list[str] | None = None) -> list[Offence]:
    """No circular import between modules, counting an import inside a function (it still
    ties the two modules together). import-linter's ``acyclic_siblings`` compares siblings; this
    also sees a package's ``__init__`` and one of its own modules importing each other."""
    import grimp  # installed with import-linter (requirements-dev.txt)

    graph = grimp.build_graph(*(packages or _import_linter()["root_packages"]), cache_dir=None)
    offences = []
    for component in _strongly_connected(
        sorted(graph.modules), lambda m: sorted(graph.find_modules_directly_imported_by(m))
    ):
        members = set(component)
        lines = []
        for importer in sorted(members):
            for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
                detail = graph.get_import_details(importer=importer, imported=imported)
                where = ", ".join(f"l.{d['line_number']}" for d in detail)
                lines.append(f"{importer} -> {imported} ({where})")
        first = sorted(members)[0]
        path = first.replace(".", "/") + ".py"
        offences.append(Offence(path, 1, "circular import: " + "; ".join(lines)))
    return sorted(offences, key=_order)


def _strongly_connected(nodes: list[str], edges: Callable[[str], list[str]]) -> Iterator[list[str]]:
    """Tarjan's algorithm, iterative (a deep import chain must not hit the recursion limit);
    yields each component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(edges(start)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges(child))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    yield sorted(component)


# --- Running -------------------------------------------------------------------------------------


def _order(offence: Offence) -> tuple[str, int, str]:
    return (offence.path, offence.line, offence.message)


def checks() -> dict[str, Callable[[], list[Offence]]]:
    """Each check by name, run over the project as it stands."""
    sources = project_sources()
    return {
        "schema switching outside its rooms": lambda: schema_switches(sources),
        "schema rooms agree with ruff": schema_rooms_agree_with_ruff,
        "services take acting_user": lambda: services_without_acting_user(sources),
        "views and APIs write through services": lambda: view_writes(sources),
        "DRF writes go through perform_*": lambda: viewsets_without_perform(sources),
        "no private permission helpers": lambda: permission_helpers(sources),
        "no role compared with a literal": lambda: role_literals(sources),
        "import contracts cover every app": contracts_cover_every_app,
        "no circular imports between modules": module_cycles,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.house", description=__doc__)
    parser.add_argument("--list", action="store_true", help="name the checks and stop")
    options = parser.parse_args(argv)
    found = 0
    for name, check in checks().items():
        if options.list:
            print(name)
            continue
        offences = check()
        found += len(offences)
        print(
            f"{'FAIL' if offences else 'ok  '} {name}" + (f" ({len(offences)})" if offences else "")
        )
        for offence in offences:
            print(f"     {offence}")
    if found:
        print(f"\n{found} offences against the house rules (README: House rules).")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
