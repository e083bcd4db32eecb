"""Config errors name the bad key before any work starts."""
from __future__ import annotations

import dataclasses

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.config import ConfigError, parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import ModelPath, Stage


@dataclass
class LongEnough(Stage):
    """Test stage: drop texts shorter than ``min_chars``."""

    name = "test_long_enough"
    min_chars: int = 10
    ratio: float = 0.5
    model_path: ModelPath | None = None

    def setup(self) -> None:
        if self.model_path and Path(self.model_path).read_bytes() != b"MODEL":
            raise ValueError(f"{self.model_path} is not a model file")

    def apply(self, doc: Document) -> str | None:
        return None if len(doc.text) >= self.min_chars else "too_short"


def parse(data: dict, base: Path = Path("/")):
    return parse_config(data, base)


def test_valid_config_builds_stages_in_order_and_skips_disabled() -> None:
    spec = parse({"input": {"text_field": "content"},
                  "stages": [{"stage": "test_long_enough", "min_chars": 3, "ratio": 1},
                             {"stage": "test_long_enough", "enabled": False}]})
    assert spec.input.text_field == "content"
    assert spec.stages == [LongEnough(min_chars=3, ratio=1)]


@pytest.mark.parametrize("data, message", [
    ({"stages": [{"stage": "test_long_enough", "min_char": 3}]},
     "stages[0] (test_long_enough).min_char: unknown key (known keys: min_chars, model_path, ratio)"),
    ({"stages": [{"stage": "test_long_enough", "min_chars": "3"}]},
     "stages[0] (test_long_enough).min_chars: expected int, got str '3'"),
    ({"stages": [{"stage": "test_long_enough", "min_chars": True}]},
     "stages[0] (test_long_enough).min_chars: expected int, got bool True"),
    ({"stages": [{"stage": "no_such_stage"}]}, "stages[0].stage: unknown stage 'no_such_stage'"),
    ({"stages": [{"min_chars": 3}]}, "stages[0].stage: missing"),
    ({"inputs": {}}, "inputs: unknown section"),
    ({"input": {"max_text_bytes": 1.5}}, "input.max_text_bytes: expected int, got float 1.5"),
    ({"stages": [{"stage": "test_long_enough", "model_path": "models/nope.bin"}]},
     "stages[0] (test_long_enough).model_path: file not found: /models/nope.bin"),
])
def test_bad_config_names_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(data)
    assert message in str(err.value)


def test_corrupt_model_fails_setup_naming_the_stage(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"garbage")
    spec = parse({"stages": [{"stage": "test_long_enough", "model_path": "model.bin"}]}, tmp_path)
    with pytest.raises(ConfigError, match=r"stages\[0\] \(test_long_enough\): setup failed: .*not a model file"):
        setup_stages(spec.stages)


@pytest.mark.parametrize("name", ["default.toml", "minimal.toml"])
def test_bundled_cleaning_configs_load(name: str) -> None:
    from pretrain_clean.pipeline.config import load_config

    spec = load_config(CONFIGS / name)
    setup_stages(spec.stages)
    # every [[stages]] entry of the file becomes its stage, in the file's order
    listed = [entry["stage"] for entry in tomllib.loads((CONFIGS / name).read_text(encoding="utf-8")).get("stages", [])]
    assert [stage.name for stage in spec.stages] == listed
    assert bool(listed) == (name == "default.toml")  # minimal.toml has no stages


def test_config_reference_doc_is_current() -> None:
    from pretrain_clean.pipeline.reference import config_reference

    doc = Path(__file__).parent.parent / "docs" / "config_reference.md"
    assert doc.read_text(encoding="utf-8") == config_reference(), \
        "regenerate: python -m pipeline.reference > docs/config_reference.md"


def test_set_override_changes_a_stage_threshold() -> None:
    from pretrain_clean.pipeline.config import load_config

    root = Path(__file__).parent.parent
    spec = load_config(CONFIGS / "default.toml", ["stages.gopher_quality.min_doc_words=30"])
    (gopher,) = [s for s in spec.stages if s.name == "gopher_quality"]
    assert gopher.min_doc_words == 30
    with pytest.raises(ConfigError, match="no stage 'nope' in the config"):
        load_config(CONFIGS / "default.toml", ["stages.nope.x=1"])


def test_off_turns_one_optional_threshold_off() -> None:
    spec = parse({"stages": [{"stage": "test_long_enough", "model_path": "off"}]})
    assert spec.stages[0].model_path is None
    with pytest.raises(ConfigError, match="min_chars: expected int, got str 'off'"):
        parse({"stages": [{"stage": "test_long_enough", "min_chars": "off"}]})


def test_relative_paths_resolve_against_the_config_folder_and_overrides_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pretrain_clean.pipeline.config import load_config

    (tmp_path / "conf" / "lists").mkdir(parents=True)
    (tmp_path / "conf" / "lists" / "domains.txt").write_text("spam.example\n")
    (tmp_path / "conf" / "run.toml").write_text(
        '[[stages]]\nstage = "url_blocklist"\ndomains_path = "lists/domains.txt"\n'
        '[[stages]]\nstage = "toxicity"\nwordlists = { en = "lists/domains.txt" }\n'
    )
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "mine.txt").write_text("mine.example\n")
    monkeypatch.chdir(tmp_path / "work")
    blocklist, toxicity = load_config(tmp_path / "conf" / "run.toml").stages
    assert blocklist.domains_path == str(tmp_path / "conf" / "lists" / "domains.txt")
    assert toxicity.wordlists == {"en": str(tmp_path / "conf" / "lists" / "domains.txt")}
    overridden = load_config(tmp_path / "conf" / "run.toml", ['stages.url_blocklist.domains_path="mine.txt"',
                                                               'stages.toxicity.wordlists={en="mine.txt"}'])
    assert overridden.stages[0].domains_path == str(tmp_path / "work" / "mine.txt")
    assert overridden.stages[1].wordlists == {"en": str(tmp_path / "work" / "mine.txt")}
    with pytest.raises(ConfigError, match=r"wordlists.en: file not found"):
        load_config(tmp_path / "conf" / "run.toml", ['stages.toxicity.wordlists={en="nope.txt"}'])


@dataclasses.dataclass
class _Base:
    inherited: int = 1
    """From the base.

    Second paragraph, left out."""


@dataclasses.dataclass
class _Documented(_Base):
    first: int = 2
    second: str = "x"
    """Only the field right above a docstring gets it."""
    third: list = dataclasses.field(default_factory=list)
    """A `code` and a :mod:`pipeline.config` role | a bar."""


def test_the_reference_describes_each_field_by_the_docstring_under_it() -> None:
    from pretrain_clean.pipeline.reference import _table, field_docs

    assert field_docs(_Documented) == {
        "inherited": "From the base.", "second": "Only the field right above a docstring gets it.",
        "third": "A `code` and a :mod:`pipeline.config` role | a bar.",
    }
    rows = _table(_Documented)
    assert rows[2:] == ["| `inherited` | `int` | `1` | From the base. |", "| `first` | `int` | `2` |  |",
                        "| `second` | `str` | `'x'` | Only the field right above a docstring gets it. |",
                        "| `third` | `list` | `[]` | A `code` and a `pipeline.config` role \\| a bar. |"]
