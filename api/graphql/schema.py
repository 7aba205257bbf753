"""The schema factory: types, the extensions that keep hostile queries out, error masking and the
per-query time limit. ``python -m kith.api.graphql.schema > schema.graphql`` exports the SDL that is committed;
``tests/api/test_schema_export.py`` fails when the two drift.

Limits (each refusal comes back as a GraphQL error that says what to change):
- depth at most ``MAX_DEPTH`` (10), aliases at most ``MAX_ALIASES`` (30), tokens at most ``MAX_TOKENS``
  (2000); page size at most ``api.pagination.MAX_PAGE`` (100) with ``first`` required on every list;
- a query running longer than ``ApiSettings.query_timeout_s`` (default 10 s) is cancelled;
- introspection is off when ``ApiSettings.introspection`` is false (``KITH_INTROSPECTION=false``), and with it
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
from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType, validate
from graphql.language import DocumentNode
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
    SchemaExtension,
)
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


def _should_mask(error: GraphQLError) -> bool:
    if shows_message(error):
        return False
    log.error("unexpected error in %s", ".".join(map(str, error.path or [])) or "the operation",
              exc_info=error.original_error)
    return True


class RequestScope(SchemaExtension):
    """Refuses operations without a user, names the operation for the audit log, writes the
    request's audit entries once, when it ends, and after a mutation drops this process's network so
    that the change (an opt-out, a block, a merge) shows in the next path at once."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if getattr(ctx, "user", None) is None:
            raise NotAuthenticated("Send an API token: Authorization: Bearer <token>.")
        op = next((d for d in self.execution_context.graphql_document.definitions
                   if isinstance(d, OperationDefinitionNode)), None) if self.execution_context.graphql_document else None
        if op is not None:
            fields = sorted({getattr(s, "name").value for s in op.selection_set.selections if hasattr(s, "name")})
            ctx.operation = f"{op.operation.value}:{','.join(fields)}"
        yield
        ctx.flush_audit()
        if op is not None and op.operation == OperationType.MUTATION:
            forget_network(ctx.store)


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


class _Limits(AddValidationRules):
    """The depth and alias limits as validation rules built once: strawberry's QueryDepthLimiter and
    MaxAliasesLimiter make new rule classes per request, which no validation cache can then match."""

    _RULES = (depth_rule(MAX_DEPTH, None), alias_rule(MAX_ALIASES))

    def __init__(self) -> None:
        super().__init__(list(self._RULES))


@lru_cache(maxsize=256)
def _validate_without_suggestions(schema: GraphQLSchema, document: DocumentNode, rules: tuple) -> list[GraphQLError]:
    # strawberry's validate_document, with graphql-core's hide_suggestions (which strawberry does not pass)
    return validate(schema, document, (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
                    hide_suggestions=True)


class _ValidationWithoutSuggestions(SchemaExtension):
    """In place of ValidationCache when introspection is off: the same cached validation, without
    "Did you mean ...?" in its errors."""

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        ec.pre_execution_errors = _validate_without_suggestions(ec.schema._schema, ec.graphql_document,
                                                                tuple(ec.validation_rules))
        yield


class _ExecutionWithoutSuggestions(StrawberryGraphQLCoreExecutionContext):
    """Variables coerced without "Did you mean ...?" (an enum value misspelt in a variable)."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        return super().build(*args, **{**kwargs, "hide_suggestions": True})


def build_schema(*, introspection: bool = True, query_timeout_s: float = DEFAULT_TIMEOUT_S) -> KithSchema:
    extensions: list[Any] = [
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=256),  # clients send the same documents with new variables
        # the limits are validation rules: cached with the rest
        partial(ValidationCache, maxsize=256) if introspection else _ValidationWithoutSuggestions,
        _Limits,
        partial(MaskErrors, should_mask_error=_should_mask, error_message=INTERNAL_ERROR),
        RequestScope,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return KithSchema(query=Query, mutation=Mutation, extensions=extensions, query_timeout_s=query_timeout_s,
                      execution_context_class=None if introspection else _ExecutionWithoutSuggestions)


def sdl() -> str:
    return build_schema().as_str().rstrip("\n") + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sdl())
