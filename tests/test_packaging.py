"""The wheel installs one package, `kith`: every folder of code under graph/, api/ and ingest/ is in it."""
import os
import subprocess
import sys
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


def test_no_module_reaches_for_a_top_level_graph_api_or_ingest(tmp_path):
    """Imported beside another project's graph/, api/ and ingest/, every module, the packaged schema and
    the deal profiles still come from kith."""
    for name in ("graph", "api", "ingest"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('imported the other project\\'s {name}')")
    code = (
        "import importlib, pkgutil, sys\n"
        f"for package in {sorted(_declared())!r}:\n"
        "    for module in pkgutil.iter_modules(importlib.import_module(package).__path__, package + '.'):\n"
        "        if not module.name.endswith('__main__'):\n"
        "            importlib.import_module(module.name)\n"
        "from kith.graph.neo4j_store import schema_script\n"
        "from kith.ingest.deals import available_profiles\n"
        "assert 'CONSTRAINT' in schema_script() and 'generic' in available_profiles()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
