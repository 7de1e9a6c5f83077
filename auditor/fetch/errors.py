"""What stops a fetch."""


class FetchError(Exception):
    """What stopped a fetch, in one line a seller can act on."""
