"""Lint every Cypher statement Kith sends: each statement of schema.cypher and every UPPER_CASE string
constant of graph/neo4j_queries.py, checked by Neo4j's parser (.ci/lint_cypher.mjs).

    cd .ci && npm ci && cd .. && python .ci/lint_cypher.py [--strict] [--dump FILE]

Needs only Python 3.11 and Node 20 (the module is loaded from its file, not imported from the package).
--strict also fails on warnings (a label, relationship type or property outside the vocabulary of
graph/neo4j_queries.py); --dump writes the collected statements as JSON instead of linting them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CI = REPO / ".ci"


def _queries_module():
    spec = importlib.util.spec_from_file_location("kith_neo4j_queries", REPO / "graph" / "neo4j_queries.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def collect() -> dict:
    """{"schema": vocabulary, "statements": [{"name", "statement"}]} for the linter."""
    q = _queries_module()
    statements = [
        {"name": f"schema.cypher#{n}", "statement": s}
        for n, s in enumerate(q.split_statements((REPO / "schema.cypher").read_text(encoding="utf-8")), 1)
    ]
    statements += [
        {"name": f"graph/neo4j_queries.py:{name}", "statement": value.strip()}
        for name, value in vars(q).items()
        if name.isupper() and isinstance(value, str)
    ]
    schema = {
        "labels": list(q.LABELS),
        "relationshipTypes": list(q.RELATIONSHIP_TYPES),
        "propertyKeys": [*q.PROPERTY_KEYS, *q.ROW_KEYS],
    }
    return {"schema": schema, "statements": statements}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--dump", type=Path, help="write the statements as JSON here and stop")
    args = parser.parse_args(argv)
    payload = collect()
    if args.dump:
        args.dump.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        return 0
    if not (CI / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        print("The Cypher linter is not installed: run `cd .ci && npm ci` first.", file=sys.stderr)
        return 2
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(payload, f, ensure_ascii=False)
    try:
        command = ["node", str(CI / "lint_cypher.mjs"), f.name, *(["--strict"] if args.strict else [])]
        return subprocess.run(command, cwd=CI, check=False).returncode
    finally:
        Path(f.name).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
