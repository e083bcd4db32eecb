"""Load and validate a run's TOML config; every error names the bad key.

Layout::

    [input]            # InputConfig fields
    [run]              # RunConfig fields
    [[stages]]         # one table per cascade stage, in order
    stage = "gopher_quality"   # registry name (see pipeline.stage)
    enabled = true             # optional, default true
    annotate = ["too_few_words"]   # optional: these reasons only flag (meta["flags"]); "*" = all
    min_words = 50             # the stage's own fields
    [dedup]            # corpus-wide dedup (see dedup.config)
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pretrain_clean.errors import ConfigError, EnvironmentProblem
from pretrain_clean.paths import BUNDLED, config_file, resolve_path
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.storage import is_uri
from pretrain_clean.pipeline.stage import REGISTRY, ModelPath, Stage


OFF = "off"
"""The config value that turns an optional threshold off (the field becomes ``None``)."""


@dataclass
class InputConfig:
    """How input records become documents."""

    text_field: str = "text"
    """Input key of the document text (JSON lines, parquet column)."""
    id_field: str = "id"
    """Input key of the document id; a missing or empty id becomes ``<file>:<position>``."""
    max_text_bytes: int = 5_000_000
    """Larger texts, and larger input records (a JSON line, a WARC record body, a text
    file, line or block), are quarantined ``too_large`` after reading at most this many
    bytes plus 1 MiB, whatever the compression (bounds workers' memory)."""
    html_min_text_chars: int = 1
    """WARC/HTML pages whose extracted text is shorter are quarantined."""
    txt_split: typing.Literal["file", "line", "block"] = "file"
    """Plain-text inputs (``.txt``, ``.txt.gz``, ``.txt.zst``): one document per ``file``,
    per non-blank ``line``, or per ``block`` of lines ended by a blank line."""

    def __post_init__(self) -> None:
        if self.max_text_bytes < 1:
            raise ValueError(f"max_text_bytes must be at least 1, got {self.max_text_bytes}")


@dataclass
class RunConfig:
    """Engine-independent run settings."""

    batch_size: int = 256
    """Documents per batch through the cascade and per write to the part files."""
    seed: int = 0
    """Reserved for run-level randomness: no stage draws at random now (dedup has its own ``seed``)."""
    annotate_last: bool = True
    """Run stages that only annotate (as configured: perplexity without drop_buckets or
    max_perplexity, coherence without min_coherence) after every dropping stage, so they
    score only survivors. Decisions and kept documents are the same either way; removed
    documents then carry no such scores and ``stats.json`` lists those stages last."""
    annotate_after_dedup: bool = False
    """With dedup on: leave the stages that only annotate out of the cascade and run them after
    dedup, on its survivors only (:mod:`pipeline.annotate_step`). Decisions and kept documents
    are the same; documents removed by any stage or by dedup then carry no such scores, and
    ``stats.json`` lists those stages after dedup."""
    part_bytes: int | None = None
    """Cut inputs larger than this into parts: parquet by row-group ranges, plain JSON lines and
    text by line-aligned byte ranges (``"off"``: one part per file); results do not depend on
    it (:mod:`pipeline.split`, :mod:`pipeline.line_split`)."""

    def __post_init__(self) -> None:
        if self.part_bytes is not None and self.part_bytes <= 0:
            raise ValueError(f"part_bytes must be positive (or \"off\"), got {self.part_bytes}")


@dataclass
class RunSpec:
    """A validated config: input and run settings, the ordered stages, extra sections."""

    input: InputConfig
    run: RunConfig
    stages: list[Stage]
    sections: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    """The parsed TOML, for fingerprints and manifests."""


def dedup_enabled(spec: RunSpec) -> bool:
    """Whether ``spec`` has a ``[dedup]`` table that is not switched off."""
    section = spec.sections.get("dedup")
    return section is not None and getattr(section, "enabled", True)


def annotates_after_dedup(spec: RunSpec) -> list[Stage]:
    """The stages ``spec`` runs after dedup (``[run] annotate_after_dedup``): those that only
    annotate, in their configured order; empty when the switch or dedup is off."""
    if not (spec.run.annotate_after_dedup and dedup_enabled(spec)):
        return []
    return [stage for stage in spec.stages if stage.annotates_only()]


SECTION_TYPES: dict[str, str] = {"dedup": "pretrain_clean.dedup.config:DedupConfig"}
"""Optional top-level sections: name -> 'module:DataclassName'."""


def load_stage_modules() -> None:
    """Import every module under ``filters/`` so their stages register."""
    from pretrain_clean import filters

    for info in pkgutil.iter_modules(filters.__path__, "pretrain_clean.filters."):
        importlib.import_module(info.name)


def _type_ok(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is ModelPath:
        return isinstance(value, str)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple):
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _model_paths(hint: Any) -> bool:
    return hint is ModelPath or ModelPath in typing.get_args(hint)


def _resolve_paths(value: str | dict[str, str], base_dir: Path | str, where: str) -> str | dict[str, str]:
    """Resolve one path, or each path of a ``{name: path}`` table (see :func:`_model_location`)."""
    if isinstance(value, dict):
        return {name: _resolve_paths(path, base_dir, f"{where}.{name}") for name, path in value.items()}
    return _model_location(value, base_dir, where)


def build_dataclass(cls: type, table: dict[str, Any], where: str, base_dir: Path | str) -> Any:
    """Make ``cls(**table)`` after checking names, types and model paths.

    ``where`` prefixes error messages (e.g. ``stages[2] (gopher_quality)``).
    Model paths resolve with :func:`pretrain_clean.paths.resolve_path` against ``base_dir``
    (the config file's folder).
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise ConfigError(f"{where}.{key}: unknown key (known keys: {known})")
        hint = hints[key]
        if value == OFF and _type_ok(None, hint):
            value = None  # TOML has no null: "off" switches one optional rule off
        if not _type_ok(value, hint):
            raise ConfigError(
                f"{where}.{key}: expected {_type_name(hint)}, got {type(value).__name__} {value!r}"
            )
        if _model_paths(hint) and value is not None:
            value = _resolve_paths(value, base_dir, f"{where}.{key}")
        if typing.get_origin(hint) is tuple:
            value = tuple(value)  # TOML arrays are lists; the dataclass declares a tuple
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _model_location(value: str, base_dir: Path | str, key: str) -> str:
    """A model/word-list path as stages keep it: ``bundled:NAME`` stays as it is (each
    executor finds its own installed copy); a URI stays a URI (fetched once per executor,
    see :func:`pipeline.storage.local_copy`); a relative path becomes absolute here, on the
    driver. Checked to exist now, so a wrong path fails before any task starts."""
    located = resolve_path(value, base_dir)
    if is_uri(located):
        try:
            found = storage.is_file(located)
        except storage.StorageBackendMissing as exc:
            raise ConfigError(f"{key}: {exc}") from exc
    else:
        found = Path(located).exists()
    if not found:
        raise ConfigError(f"{key}: file not found: {located}")
    return value if value.startswith(BUNDLED) else located


def _load_section(spec: str, table: Any, where: str, base_dir: Path | str) -> Any:
    module_name, _, class_name = spec.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return build_dataclass(cls, table, where, base_dir)


def parse_config(data: dict[str, Any], base_dir: Path | str, path: str = "<config>") -> RunSpec:
    """Validate a parsed TOML document into a :class:`RunSpec`."""
    load_stage_modules()
    known = {"input", "run", "stages", *SECTION_TYPES}
    for key in data:
        if key not in known:
            raise ConfigError(f"{key}: unknown section (known: {', '.join(sorted(known))})")
    input_cfg = _load_section("pretrain_clean.pipeline.config:InputConfig", data.get("input", {}), "input", base_dir)
    run_cfg = _load_section("pretrain_clean.pipeline.config:RunConfig", data.get("run", {}), "run", base_dir)
    tables = data.get("stages", [])
    if not isinstance(tables, list):
        raise ConfigError("stages: expected an array of tables ([[stages]])")
    stages: list[Stage] = []
    for index, table in enumerate(tables):
        table = dict(table)
        stage_name = table.pop("stage", None)
        where = f"stages[{index}]"
        if stage_name is None:
            raise ConfigError(f"{where}.stage: missing (which stage is this?)")
        if stage_name not in REGISTRY:
            raise ConfigError(
                f"{where}.stage: unknown stage {stage_name!r} (known: {', '.join(sorted(REGISTRY))})"
            )
        enabled = table.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{where}.enabled: expected bool, got {enabled!r}")
        annotate = table.pop("annotate", [])
        if not isinstance(annotate, list) or not all(isinstance(r, str) and r for r in annotate):
            raise ConfigError(f"{where}.annotate: expected a list of reason names (or [\"*\"]), got {annotate!r}")
        if enabled:
            stage = build_dataclass(REGISTRY[stage_name], table, f"{where} ({stage_name})", base_dir)
            if annotate:
                stage.annotate = frozenset(annotate)
            stages.append(stage)
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ConfigError("stages: a stage appears twice; each stage name may appear once")
    sections = {
        name: _load_section(spec, data[name], name, base_dir)
        for name, spec in SECTION_TYPES.items()
        if name in data
    }
    return RunSpec(input_cfg, run_cfg, stages, sections, path, data)


def _field_hint(parts: list[str]) -> Any:
    """The type hint of the field a ``--set`` key names, or None when it names no known field."""
    if parts[0] == "stages" and len(parts) == 3:
        load_stage_modules()
        cls = REGISTRY.get(parts[1])
    else:
        spec = {"input": "pretrain_clean.pipeline.config:InputConfig",
                "run": "pretrain_clean.pipeline.config:RunConfig", **SECTION_TYPES}.get(parts[0])
        module_name, _, class_name = (spec or ":").partition(":")
        cls = getattr(importlib.import_module(module_name), class_name) if spec and len(parts) == 2 else None
    return typing.get_type_hints(cls).get(parts[-1]) if cls is not None else None


def _override_value(parts: list[str], value: Any) -> Any:
    """A path given on the command line is relative to the current folder, not the config's:
    make it absolute now (tables of paths too)."""
    if not _model_paths(_field_hint(parts)):
        return value
    def absolute(v: str) -> str:  # bundled: stays, each executor resolves it in its own install
        return v if v.startswith(BUNDLED) else resolve_path(v)

    if isinstance(value, str) and value != OFF:
        return absolute(value)
    if isinstance(value, dict):
        return {k: absolute(v) if isinstance(v, str) else v for k, v in value.items()}
    return value


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply one ``KEY=VALUE`` to parsed config data, in place.

    KEY is ``section.key`` or ``stages.<stage name>.key``; VALUE is a TOML value (bare
    words are taken as strings).

    >>> data = {"stages": [{"stage": "gopher_quality", "min_doc_words": 50}]}
    >>> apply_override(data, "stages.gopher_quality.min_doc_words=30")
    >>> apply_override(data, "input.text_field=content")
    >>> data
    {'stages': [{'stage': 'gopher_quality', 'min_doc_words': 30}], 'input': {'text_field': 'content'}}
    """
    key, sep, raw = assignment.partition("=")
    parts = key.strip().split(".")
    if not sep or len(parts) < 2 or not all(parts):
        raise ConfigError(f"--set {assignment!r}: expected section.key=value or stages.<stage>.key=value")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    value = _override_value(parts, value)
    if parts[0] == "stages":
        if len(parts) != 3:
            raise ConfigError(f"--set {key}: expected stages.<stage>.key")
        tables = [t for t in data.get("stages", []) if t.get("stage") == parts[1]]
        if not tables:
            raise ConfigError(f"--set {key}: no stage {parts[1]!r} in the config")
        tables[0][parts[2]] = value
    else:
        table = data.setdefault(parts[0], {})
        for part in parts[1:-1]:
            table = table.setdefault(part, {})
        table[parts[-1]] = value


def read_toml(path: str | Path) -> tuple[dict[str, Any], str | Path]:
    """The TOML file at ``path`` (a file, a bundled config's name such as ``default``, or a URI)
    and the folder its relative paths resolve against; a missing or malformed file is a
    :class:`ConfigError`. Every job's config is read here."""
    if is_uri(str(path)):
        try:
            text, base_dir = storage.read_text(str(path)), storage.parent(str(path))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
    else:
        path = config_file(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        text, base_dir = path.read_text(encoding="utf-8"), path.resolve().parent
    try:
        return tomllib.loads(text), base_dir
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunSpec:
    """Read and validate a TOML config file (plus ``KEY=VALUE`` overrides).

    ``path`` may name a bundled config (``default``) or a URI (``s3://bucket/run.toml``);
    relative paths in the file resolve against the file's folder, relative paths in an
    override against the current folder.
    """
    data, base_dir = read_toml(path)
    for assignment in overrides or []:
        apply_override(data, assignment)
    return parse_config(data, base_dir, str(path if is_uri(str(path)) else config_file(path)))


def setup_stages(stages: list[Stage]) -> None:
    """Call ``setup()`` on each stage, turning failures into errors naming the stage.

    A library that will not import is an :class:`EnvironmentProblem`, a model that will not
    load a :class:`ConfigError` naming the key: both at start-up, never per document later.
    """
    for index, stage in enumerate(stages):
        try:
            stage.setup()
        except ImportError as exc:
            module = exc.name or str(exc)
            raise EnvironmentProblem(
                f"stages[{index}] ({stage.name}) needs the Python module {module!r}, which cannot be imported "
                f"({exc}); install the project with its dependencies (pip install pretrain-clean) "
                "or switch the stage off (enabled = false)"
            ) from exc
        except Exception as exc:  # noqa: BLE001 - re-raised with the config key
            raise ConfigError(f"stages[{index}] ({stage.name}): setup failed: {exc}") from exc
