"""The GraphQL types, one module per family; ``types.X`` reaches any of them."""

from kith.api.graphql.types.accounts import *  # noqa: F403
from kith.api.graphql.types.experts import *  # noqa: F403
from kith.api.graphql.types.insights import *  # noqa: F403
from kith.api.graphql.types.operations import *  # noqa: F403
from kith.api.graphql.types.paths import *  # noqa: F403
from kith.api.graphql.types.records import *  # noqa: F403
