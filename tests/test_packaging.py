"""The wheel installs one package, `kith`: every folder of code under graph/, api/ and ingest/ is in it."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> set[str]:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    return set(tool["packages"])


def test_every_code_folder_is_a_declared_package():
    on_disk = set()
    for top in ("graph", "api", "ingest"):
        for folder in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]:
            if folder.name != "__pycache__" and (any(folder.glob("*.py")) or any(folder.glob("*.toml"))):
                on_disk.add("kith." + ".".join(folder.relative_to(ROOT).parts))
    missing = on_disk - _declared()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_the_package_is_kith_not_top_level_names():
    import kith.graph.store

    assert Path(kith.graph.store.__file__).resolve() == ROOT / "graph" / "store.py"
    assert all(name.startswith("kith.") for name in _declared())
