"""The schema factory: types, the extensions that keep hostile queries out, error masking and the
per-query time limit. ``python -m kith.api.graphql.schema > schema.graphql`` exports the SDL that is committed;
``tests/api/test_schema_export.py`` fails when the two drift.

Limits (each refusal comes back as a GraphQL error that says what to change):
- depth at most ``MAX_DEPTH`` (10), aliases at most ``MAX_ALIASES`` (30), tokens at most ``MAX_TOKENS``
  (2000); page size at most ``api.pagination.MAX_PAGE`` (100) with ``first`` required on every list;
- a query running longer than ``Settings.query_timeout_s`` (default 10 s) is cancelled;
- introspection is off when ``Settings.introspection`` is false (``KITH_INTROSPECTION=false``), and with it
  the "Did you mean ...?" suggestions in errors, which would tell field, type and value names one by one.

Errors: graphql-core's own (syntax, validation, the limits above) and Kith's user errors
(``graph.errors.KithError``: NotFound, BadInput, Forbidden...) reach the client with their message;
``StoreError`` (it can name server paths) and anything unexpected are masked as "Internal error" and
logged on the server with their traceback. No stack trace ever reaches a client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import (
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionResult

from kith.api.graphql.mutations import Mutation
from kith.api.graphql.permissions import NotAuthenticated
from kith.api.graphql.queries import Query
from kith.graph.errors import KithError, StoreError
from kith.graph.network import forget_network

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
DEFAULT_TIMEOUT_S = 10.0
INTERNAL_ERROR = "Internal error; the server log has the details."

log = logging.getLogger("kith.api")


def shows_message(error: GraphQLError) -> bool:
    """Whether the client may read this error's own message."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return True  # syntax, validation and limit errors: about the query, not the server
    return isinstance(original, KithError) and not isinstance(original, StoreError)


class KithSchema(strawberry.Schema):
    """A schema whose operations are cancelled after ``query_timeout_s``."""

    def __init__(self, *args: Any, query_timeout_s: float = DEFAULT_TIMEOUT_S, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.query_timeout_s = query_timeout_s
        self.on_timeout = lambda: None

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        try:
            async with asyncio.timeout(self.query_timeout_s):  # no task of its own, unlike wait_for
                return await super().execute(*args, **kwargs)
        except TimeoutError:
            self.on_timeout()
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"The query ran longer than {self.query_timeout_s:g} s and was cancelled. Ask for less: a smaller "
                "`first`, fewer `maxHops`, or a narrower topic.")])


def _prepare(schema: GraphQLSchema, rules: tuple, hide_suggestions: bool, query: str) -> tuple[DocumentNode, list]:
    """A query's document (at most ``MAX_TOKENS`` tokens) and its validation errors: graphql-core's rules,
    strawberry's, and Kith's ``rules``. None of them depends on who asks (permissions are checked on the
    fields, as the query runs), so one answer serves every caller."""
    document = parse(query, max_tokens=MAX_TOKENS)
    return document, validate(schema, document, (*specified_rules, *rules, MaybeNullValidationRule,
                                                 OneOfInputValidationRule), hide_suggestions=hide_suggestions)


class Operation(SchemaExtension):
    """Everything Kith adds to an operation, in one extension: strawberry wraps each hook of each
    extension in a context manager per request, which cost a person lookup more than its resolver when
    this was six extensions (token limit, parser and validation caches, limits, error masking, scope).

    - parse and validate: by ``schema.prepared``, cached by the query's text (clients send the same
      documents with new variables); the token, depth and alias limits and, when introspection is off,
      the rule against it are validation rules, and "Did you mean ...?" is left out of errors then;
    - execute: refuses operations without a user, names the operation for the audit log, writes the
      request's audit entries once, when it ends, and after a mutation drops this process's network so
      that the change (an opt-out, a block, a merge) shows in the next path at once;
    - errors: messages the client may not read (``shows_message``) become ``INTERNAL_ERROR``, logged."""

    def __init__(self) -> None:
        self.prepared: tuple[DocumentNode, list[GraphQLError]] | None = None

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query:  # else strawberry says the query is missing
            self.prepared = ec.schema.prepared(ec.query)
            ec.graphql_document = self.prepared[0]
        yield

    def on_validate(self) -> Iterator[None]:
        if self.prepared is not None:
            self.execution_context.pre_execution_errors = list(self.prepared[1])
        yield

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        ctx = ec.context
        if getattr(ctx, "user", None) is None:
            raise NotAuthenticated("Send an API token: Authorization: Bearer <token>.")
        op = next((d for d in ec.graphql_document.definitions if isinstance(d, OperationDefinitionNode)),
                  None) if ec.graphql_document else None
        if op is not None:
            fields = sorted({getattr(s, "name").value for s in op.selection_set.selections if hasattr(s, "name")})
            ctx.operation = f"{op.operation.value}:{','.join(fields)}"
        yield
        ctx.flush_audit()
        if op is not None and op.operation == OperationType.MUTATION:
            forget_network(ctx.store)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [e if shows_message(e) else _masked(e) for e in result.errors]


def _masked(error: GraphQLError) -> GraphQLError:
    log.error("unexpected error in %s", ".".join(map(str, error.path or [])) or "the operation",
              exc_info=error.original_error)
    return GraphQLError(INTERNAL_ERROR, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path)


class _ExecutionWithoutSuggestions(StrawberryGraphQLCoreExecutionContext):
    """Variables coerced without "Did you mean ...?" (an enum value misspelt in a variable)."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        return super().build(*args, **{**kwargs, "hide_suggestions": True})


def build_schema(*, introspection: bool = True, query_timeout_s: float = DEFAULT_TIMEOUT_S) -> KithSchema:
    schema = KithSchema(query=Query, mutation=Mutation, extensions=[Operation], query_timeout_s=query_timeout_s,
                        execution_context_class=None if introspection else _ExecutionWithoutSuggestions)
    rules = (depth_rule(MAX_DEPTH, None), alias_rule(MAX_ALIASES),
             *(() if introspection else (NoSchemaIntrospectionCustomRule,)))
    schema.prepared = lru_cache(maxsize=256)(partial(_prepare, schema._schema, rules, not introspection))
    return schema


def sdl() -> str:
    return build_schema().as_str().rstrip("\n") + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sdl())
