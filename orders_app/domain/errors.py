"""Domain exceptions. The HTTP layer maps each class to one status in orders_app/errors.py."""


class DomainError(Exception):
    """A business rule refused the request. `field` names the input at fault, when there is one."""

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing does not exist, or belongs to someone else (never say which)."""


class Conflict(DomainError):
    """The request is valid but the current state forbids it (e.g. cancelling a filled order)."""


class InvalidInput(DomainError):
    """Well-formed input that breaks a rule: off the tick grid, unknown pair, price past the limit."""


class Overfill(DomainError):
    """A fill larger than what the order has left."""


class AuthenticationFailed(DomainError):
    """Credentials did not match; deliberately vague about why."""


class Forbidden(DomainError):
    """Authenticated, but the user's role does not allow the action."""


class Gone(DomainError):
    """What was asked for existed once but is no longer kept (events pruned past their retention)."""


class CommitFailed(DomainError):
    """The change could not be made durable: its commit failed, so none of it took effect and the
    client may send it again."""
