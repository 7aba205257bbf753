"""`kith export`: an account map (`--org`) or a person's ego network (`--person --hops`) as GraphML,
GEXF or JSON, for Gephi, yEd and Neo4j Bloom (``graph.exports``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kith.api.cli.context import AsOf, err, parse_when, store_of
from kith.api.cli.rank import org_of, person_of
from kith.graph.errors import KithError
from kith.graph.exports import MAX_HOPS, GraphFormat


def export(
    ctx: typer.Context,
    fmt: Annotated[GraphFormat, typer.Argument(metavar="graphml|gexf|json", help="File format.")],
    org: Annotated[str | None, typer.Option("--org", help="An account map: the organisation's domain or name.")] = None,
    person: Annotated[str | None, typer.Option("--person", help="An ego network: the person's email.")] = None,
    hops: Annotated[int, typer.Option("--hops", min=1, max=MAX_HOPS, help="Ego network radius.")] = 2,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of standard output.")] = None,
    as_of: AsOf = None,
) -> None:
    """Write a relationship map for Gephi, yEd or Neo4j Bloom: strength, band, last touch, organisation
    and colleague/contact on every node and edge."""
    from kith.graph.exports import account_graph, ego_graph, write

    if (org is None) == (person is None):
        raise KithError("Give one of --org DOMAIN (an account map) or --person EMAIL (an ego network).")
    store = store_of(ctx)
    at = parse_when(as_of)
    if org is not None:
        graph = account_graph(store, org_of(store, org, "--org takes a company domain (acme.com) or name"), as_of=at)
    else:
        graph = ego_graph(store, person_of(store, person, "--person"), hops=hops, as_of=at)
    text = write(graph, fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"Wrote {graph.number_of_nodes()} people and {graph.number_of_edges()} ties to {output}.",
                  highlight=False)
