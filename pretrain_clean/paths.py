"""One resolver for every path a config or a stage names.

- ``bundled:lid/lid.176.ftz`` is a resource shipped inside the package (``pretrain_clean/resources``);
- ``s3://...``, ``gs://...`` and other URIs are left as they are;
- an absolute path is used as it is;
- a relative path is taken from the folder of the config file that names it (or, for a stage
  built in code, from the current directory).

``default``, ``minimal``, ``tokenizer`` and ``shards`` name the bundled configs wherever a
config file is expected.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES = PACKAGE_DIR / "resources"
CONFIGS = PACKAGE_DIR / "configs"
BUNDLED = "bundled:"


def resolve_path(value: str, base_dir: str | Path | None = None) -> str:
    """The absolute location ``value`` names (see the module docstring).

    >>> resolve_path("bundled:lid/lid.176.ftz") == str(RESOURCES / "lid/lid.176.ftz")
    True
    >>> resolve_path("s3://bucket/models/en.ftz", "/etc")
    's3://bucket/models/en.ftz'
    >>> resolve_path("models/en.ftz", "/srv/run")
    '/srv/run/models/en.ftz'
    >>> resolve_path("/opt/lid.bin", "/srv/run")
    '/opt/lid.bin'
    >>> resolve_path("models/en.ftz", "s3://bucket/run")
    's3://bucket/run/models/en.ftz'
    """
    if value.startswith(BUNDLED):
        return str(RESOURCES / value[len(BUNDLED):])
    if "://" in value:
        return value
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    if base_dir is not None and "://" in str(base_dir):  # a config read from an object store
        return f"{str(base_dir).rstrip('/')}/{value}"
    return str(Path(base_dir or Path.cwd()).resolve() / path)


def config_file(name: str | Path) -> Path:
    """The config file ``name`` refers to: a path, or the name of a bundled config.

    >>> config_file("default") == CONFIGS / "default.toml"
    True
    """
    path = Path(name)
    bundled = CONFIGS / f"{name}.toml"
    if not path.exists() and path.name == str(name) and bundled.is_file():
        return bundled
    return path
