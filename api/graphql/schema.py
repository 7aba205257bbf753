"""The schema factory: types, the validation rules that keep hostile queries out, error masking and the
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
from collections.abc import Iterable
from functools import lru_cache, partial
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import (
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    execute,
    parse,
    specified_rules,
    validate,
)
from graphql.language import DocumentNode
from strawberry.exceptions import MissingQueryError
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES, StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionResult
from strawberry.types.base import StrawberryOptional
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.utils.operation import get_operation_type

from kith.api.graphql.mutations import Mutation
from kith.api.graphql.permissions import NotAuthenticated
from kith.api.graphql.queries import Query
from kith.graph.errors import KithError, StoreError
from kith.graph.network import forget_network

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
DEFAULT_TIMEOUT_S = 10.0
_NAME = (str, type(None))  # an operationName of another type (a client may send any JSON) names no operation
INTERNAL_ERROR = "Internal error; the server log has the details."

log = logging.getLogger("kith.api")


def shows_message(error: GraphQLError) -> bool:
    """Whether the client may read this error's own message."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return True  # syntax, validation and limit errors: about the query, not the server
    return isinstance(original, KithError) and not isinstance(original, StoreError)


class KithSchema(strawberry.Schema):
    """The schema, with Kith's own operation pipeline in ``execute`` (strawberry's HTTP view calls it):

    - parse and validate: by ``prepared``, cached by the query's text (clients send the same documents
      with new variables). The token, depth and alias limits and, when introspection is off, the rule
      against it are validation rules; "Did you mean ...?" is left out of errors then. None of the
      rules depends on who asks (permissions are checked on the fields, as the query runs), so one
      answer serves every caller;
    - refuses operations without a user, names the operation for the audit log, writes the request's
      audit entries once, when it ends, and after a mutation drops this process's network so that the
      change (an opt-out, a block, a merge) shows in the next path at once;
    - cancels the operation after ``query_timeout_s``;
    - errors whose message the client may not read (``shows_message``) become ``INTERNAL_ERROR``, logged.

    It calls graphql-core itself rather than strawberry's ``Schema.execute``: that one runs every
    request through its extension machinery (a context manager per hook per extension), which cost a
    person lookup a third of its execution time. No strawberry schema extension applies here."""

    def __init__(self, *args: Any, query_timeout_s: float = DEFAULT_TIMEOUT_S, introspection: bool = True,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.query_timeout_s = query_timeout_s
        self.on_timeout = lambda: None
        rules = (depth_rule(MAX_DEPTH, None), alias_rule(MAX_ALIASES),
                 *(() if introspection else (NoSchemaIntrospectionCustomRule,)))
        _read_plain_fields(self._schema)
        if not self.schema_converter._exception_handler_specs:
            _call_plain_resolvers(self._schema, self.config)
        self.prepared = lru_cache(maxsize=256)(partial(_prepare, self._schema, rules, not introspection))
        self.operation = lru_cache(maxsize=256)(partial(_operation_of, self.prepared))

    async def execute(self, query: str | None, variable_values: dict[str, Any] | None = None,  # type: ignore[override]
                      context_value: Any = None, root_value: Any = None, operation_name: str | None = None,
                      allowed_operation_types: Iterable[StrawberryOperationType] | None = None,
                      operation_extensions: dict[str, Any] | None = None) -> ExecutionResult:
        try:
            async with asyncio.timeout(self.query_timeout_s):  # no task of its own, unlike wait_for
                result = await self._operation(query, variable_values, context_value, root_value, operation_name,
                                               allowed_operation_types, operation_extensions)
        except TimeoutError:
            self.on_timeout()
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"The query ran longer than {self.query_timeout_s:g} s and was cancelled. Ask for less: a smaller "
                "`first`, fewer `maxHops`, or a narrower topic.")])
        if result.errors:
            self.process_errors(result.errors)  # strawberry's log of every error, as it was
            result.errors = [e if shows_message(e) else _masked(e) for e in result.errors]
        return result

    async def _operation(self, query: str | None, variables: dict[str, Any] | None, ctx: Any, root_value: Any,
                         operation_name: str | None, allowed: Iterable[StrawberryOperationType] | None,
                         operation_extensions: dict[str, Any] | None) -> ExecutionResult:
        if not query:
            raise MissingQueryError  # the view answers 400, as for the errors below
        try:
            document, errors = self.prepared(query)
        except GraphQLError as error:
            return PreExecutionError(data=None, errors=[error])
        except Exception as error:  # noqa: BLE001 (masked in execute: it says nothing the client may read)
            return PreExecutionError(data=None, errors=[GraphQLError(str(error), original_error=error)])
        kind, label = self.operation(query, operation_name) if type(operation_name) in _NAME else (None, "")
        if kind is None:
            raise CannotGetOperationTypeError(operation_name)
        if kind not in (allowed if allowed is not None else DEFAULT_ALLOWED_OPERATION_TYPES):
            raise InvalidOperationTypeError(kind)
        if errors:
            return PreExecutionError(data=None, errors=list(errors))
        if getattr(ctx, "user", None) is None:
            error = NotAuthenticated("Send an API token: Authorization: Bearer <token>.")
            return PreExecutionError(data=None, errors=[GraphQLError(str(error), original_error=error)])
        if label:
            ctx.operation = label
        try:
            result = execute(self._schema, document, root_value=root_value, context_value=ctx, variable_values=variables,
                             operation_name=operation_name, is_awaitable=optimized_is_awaitable,
                             executor_class=self.execution_context_class, operation_extensions=operation_extensions)
            if isawaitable(result):
                result = await result
            ctx.flush_audit()
            if kind == StrawberryOperationType.MUTATION:
                forget_network(ctx.store)
        except Exception as error:  # noqa: BLE001 (a resolver's own errors are in the result; this is a bug)
            return ExecutionResult(data=None, errors=[GraphQLError(str(error), original_error=error)])
        return ExecutionResult(data=result.data, errors=result.errors)


def _prepare(schema: GraphQLSchema, rules: tuple, hide_suggestions: bool, query: str) -> tuple[DocumentNode, list]:
    """A query's document (at most ``MAX_TOKENS`` tokens) and its validation errors: graphql-core's rules,
    strawberry's, and Kith's ``rules``."""
    document = parse(query, max_tokens=MAX_TOKENS)
    return document, validate(schema, document, (*specified_rules, *rules, MaybeNullValidationRule,
                                                 OneOfInputValidationRule), hide_suggestions=hide_suggestions)


def _operation_of(prepared: Any, query: str, operation_name: str | None) -> tuple[StrawberryOperationType | None, str]:
    """The kind of the operation ``operation_name`` names in ``query`` (its first when None), None when there is
    none, and its label for the audit log (kind and root fields)."""
    document = prepared(query)[0]
    try:
        kind = get_operation_type(document, operation_name)
    except RuntimeError:
        return None, ""
    op = next((d for d in document.definitions if isinstance(d, OperationDefinitionNode)
               and (operation_name is None or (d.name and d.name.value == operation_name))), None)
    if op is None:
        return kind, ""
    fields = sorted({getattr(s, "name").value for s in op.selection_set.selections if hasattr(s, "name")})
    return kind, f"{op.operation.value}:{','.join(fields)}"


def _read_plain_fields(schema: GraphQLSchema) -> None:
    """A field with no resolver, extension or permission of its own (most of an answer's fields: a person's
    name, a hop's strength) reads its attribute in one call. strawberry's resolver for such a field (its
    ``_get_basic_result``: no Info, no exception handler) takes three and builds an args list and dict."""
    for kind in schema.type_map.values():
        if isinstance(kind, GraphQLObjectType):
            for field in kind.fields.values():
                definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
                if definition is not None and getattr(field.resolve, "__name__", "") == "_get_basic_result":
                    field.resolve = _attribute(definition.python_name)


_PLAIN = (str, int, float, bool, strawberry.ID)  # scalars strawberry hands over as graphql-core coerced them


def _call_plain_resolvers(schema: GraphQLSchema, config: StrawberryConfig) -> None:
    """A field with a resolver of its own, no extension (permission) and only plain scalar arguments (``person``'s
    id or email) calls it in one step. strawberry's wrapper converts each argument through a chain of type checks
    that return it unchanged, and passes the call through three more functions and ``functools.reduce``."""
    for kind in schema.type_map.values():
        if isinstance(kind, GraphQLObjectType):
            for field in kind.fields.values():
                definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
                if (definition is not None and definition.base_resolver is not None and not definition.extensions
                        and getattr(field.resolve, "__name__", "") in ("_resolver", "_async_resolver")
                        and all(_plain(argument.type) for argument in definition.arguments)):
                    field.resolve = _direct(definition, config)


def _plain(kind: Any) -> bool:
    return (kind.of_type if type(kind) is StrawberryOptional else kind) in _PLAIN


def _direct(definition: Any, config: StrawberryConfig) -> Any:
    """``definition``'s resolver, called as strawberry would: the source first for a method, as root or parent
    where it asks for one, Info where it asks for it, each argument under its Python name."""
    resolver = definition.base_resolver
    names = {config.name_converter.from_argument(argument): argument.python_name for argument in definition.arguments}
    with_self = resolver.self_parameter is not None
    sources = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    info_class, call = config.info_class, resolver.wrapped_func

    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        arguments = {names[name]: value for name, value in kwargs.items()}
        for name in sources:
            arguments[name] = source
        if info_name is not None:
            arguments[info_name] = info_class(_raw_info=info, _field=definition)
        return call(source, **arguments) if with_self else call(**arguments)

    return resolve


def _attribute(name: str) -> Any:
    def resolve(source: Any, info: Any) -> Any:
        return getattr(source, name)

    return resolve


def _masked(error: GraphQLError) -> GraphQLError:
    log.error("unexpected error in %s", ".".join(map(str, error.path or [])) or "the operation",
              exc_info=error.original_error)
    return GraphQLError(INTERNAL_ERROR, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path)


class _Names(NameConverter):
    """strawberry's GraphQL names, each worked out once: every call of a field names its arguments again."""

    @lru_cache(maxsize=1024)
    def apply_naming_config(self, name: str) -> str:
        return super().apply_naming_config(name)


class _ExecutionWithoutSuggestions(StrawberryGraphQLCoreExecutionContext):
    """Variables coerced without "Did you mean ...?" (an enum value misspelt in a variable)."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        return super().build(*args, **{**kwargs, "hide_suggestions": True})


def build_schema(*, introspection: bool = True, query_timeout_s: float = DEFAULT_TIMEOUT_S) -> KithSchema:
    return KithSchema(query=Query, mutation=Mutation, query_timeout_s=query_timeout_s, introspection=introspection,
                      config=StrawberryConfig(name_converter=_Names()),
                      execution_context_class=None if introspection else _ExecutionWithoutSuggestions)


def sdl() -> str:
    return build_schema().as_str().rstrip("\n") + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sdl())
