"""Where kgbuild finds its declarative knowledge: the mappings (rules, lexicon, gazetteers) and the ontology
(vocabulary and SHACL shapes).

Both folders live at the top of the repository, where people read and edit them, and the wheel carries them inside
the package as `kgbuild/mappings` and `kgbuild/ontology` (pyproject.toml, `force-include`); in a checkout (an
editable install) they are read where they are. Every module asks here, never for a path of its own.

A user's own copies take precedence: `--mappings DIR` / `--ontology DIR` on the command line, `use()` in Python,
or $KGBUILD_MAPPINGS / $KGBUILD_ONTOLOGY ($KGBUILD_SHAPES names the shapes file alone). `use()` sets those
variables, so worker processes (spawned, or a local Dask cluster) read the same files as the parent.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

MAPPINGS_ENV = "KGBUILD_MAPPINGS"
ONTOLOGY_ENV = "KGBUILD_ONTOLOGY"
SHAPES_ENV = "KGBUILD_SHAPES"
ONTOLOGY_FILES = ("kgbuild.ttl", "shapes.ttl")


def _bundled(name: str) -> Path:
    packaged = resources.files(__package__) / name
    if packaged.is_dir():  # installed from a wheel: inside the package
        if not isinstance(packaged, Path):
            raise RuntimeError(f"kgbuild's {name}/ must be files on disk (kgbuild cannot run from a zip archive)")
        return packaged
    return Path(__file__).resolve().parents[2] / name  # a checkout: at the top of the repository


def mappings_dir() -> Path:
    """The folder of rules, lexicon and gazetteers: $KGBUILD_MAPPINGS, else the bundled `mappings/`."""
    env = os.environ.get(MAPPINGS_ENV)
    return Path(env) if env else _bundled("mappings")


def ontology_dir() -> Path:
    """The folder of the vocabulary (kgbuild.ttl) and the shapes (shapes.ttl): $KGBUILD_ONTOLOGY, else the bundled
    `ontology/`."""
    env = os.environ.get(ONTOLOGY_ENV)
    return Path(env) if env else _bundled("ontology")


def shapes_path() -> Path:
    """The SHACL shapes every article is validated against: $KGBUILD_SHAPES, else `shapes.ttl` of the ontology."""
    env = os.environ.get(SHAPES_ENV)
    return Path(env) if env else ontology_dir() / "shapes.ttl"


def ontology_files() -> list[Path]:
    """The Turtle files loaded into the store's ontology graph (those of them that exist)."""
    folder = ontology_dir()
    return [p for p in (folder / name for name in ONTOLOGY_FILES) if p.exists()]


def use(*, mappings: str | os.PathLike[str] | None = None, ontology: str | os.PathLike[str] | None = None) -> None:
    """Read the mappings and/or the ontology from these folders from now on (this process and its workers).

    Raises FileNotFoundError for a folder that does not exist, before anything is loaded from it.
    """
    for value, env, what in ((mappings, MAPPINGS_ENV, "mappings"), (ontology, ONTOLOGY_ENV, "ontology")):
        if value is None:
            continue
        folder = Path(value).resolve()
        if not folder.is_dir():
            raise FileNotFoundError(f"{value}: no such {what} folder")
        os.environ[env] = str(folder)
