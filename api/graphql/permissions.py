"""Who may do what. Authentication is the view's job (``api.app``: no valid token, no operation, 401);
these classes sit on fields and decide by role.

| operation                                      | admin | member | viewer |
|------------------------------------------------|:-----:|:------:|:------:|
| every query (person, organization, search, warmPaths, experts, expertsWithPath, accountMap, insights, explainStrength, interactions, me, ingestJob) | yes | yes | yes |
| auditLog                                       |  yes  |   no   |   no   |
| ingest (upload files)                          |  yes  |  yes   |   no   |
| mergePeople, splitPerson                       |  yes  |  yes   |   no   |
| addNote                                        |  yes  |  yes   |   no   |
| blockContact, optOut                           |  yes  |  yes   |   no   |
| setSharing, for their own person               |  yes  |  yes   |  yes   |
| setSharing, for another colleague              |  yes  |   no   |   no   |
| erasePerson                                    |  yes  |   no   |   no   |

Every query and mutation runs inside the user's ethical walls: a walled person, organisation or deal
is "not found" to them, in reads and as the target of a write. ``ingestJob`` shows a job to the user
who started it and to admins. Blocked and opted-out people never appear in anyone's results; an admin
may still look one up directly (``person(id:)``/``person(email:)``) to unblock or erase them.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from kith.api.access import AccessRole
from kith.graph.errors import KithError


class Forbidden(KithError):
    """The user is known but their role does not allow this; the message says who may."""


class NotAuthenticated(KithError):
    pass


def _role(info: Info) -> AccessRole | None:
    user = info.context.user
    return user.role if user is not None else None


class IsAuthenticated(BasePermission):
    message = "Send an API token: Authorization: Bearer <token> (`kith tokens create --user NAME`)."
    error_class = NotAuthenticated  # type: ignore[assignment]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.user is not None


class CanWrite(BasePermission):
    """Members and admins: ingest, identity fixes, notes, blocking and opt-outs."""

    message = "Viewers may only read; this needs the member or admin role (`kith users add NAME --role member`)."
    error_class = Forbidden  # type: ignore[assignment]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _role(info) in (AccessRole.ADMIN, AccessRole.MEMBER)


class IsAdmin(BasePermission):
    message = "Only an admin may do this."
    error_class = Forbidden  # type: ignore[assignment]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _role(info) == AccessRole.ADMIN
