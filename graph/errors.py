"""Errors a user can cause. Each message says what happened and what to do."""


class KithError(Exception):
    """Base for errors shown to the user as one line, without a traceback."""


class StoreError(KithError):
    pass


class SchemaTooNew(StoreError):
    def __init__(self, path: str, found: int, supported: int):
        super().__init__(
            f"{path} was written by a newer Kith (schema version {found}); this Kith supports schema "
            f"version {supported}. Upgrade Kith (pip install -U kithgraph); the file was not modified."
        )
        self.found = found
        self.supported = supported


class StoreUnavailable(StoreError):
    pass


class NotFound(KithError):
    pass
