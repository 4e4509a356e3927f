"""The error vocabulary of the case libraries' services (subclasses of config/errors.py)."""

from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError


class CaseError(ValidationFailedError):
    """A rule of the case libraries refused the input (HTTP 400 / form error)."""


class CaseConflict(ConflictError):
    """The case or the decision is no longer in the state the action needs (HTTP 409): an
    open or passed quality-case application, a retirement already decided or overtaken."""


class CasePermissionDenied(PermissionDeniedError):
    """The user may not do this to the case (HTTP 403)."""


class CaseAlreadyRated(ConflictError):
    """The employee rated the case before; ratings are final (HTTP 409 / page message)."""

    default_code = "already_rated"


class ParticipantsInvalid(CaseError):
    """A named participant was refused (field "participants")."""

    field = "participants"


class AudioInvalid(CaseError):
    """The uploaded recording was refused (type, size, duration or unreadable content);
    field "audio"."""

    field = "audio"


class CaseTreeInvalid(CaseError):
    """The text-case tree breaks a rule; ``messages`` lists every problem (field "tree")."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages), fields={"tree": messages})
