"""Salt's exception names, as #!py files catch them."""


class SaltException(Exception):
    pass


class CommandExecutionError(SaltException):
    """An execution function failed."""


class SaltInvocationError(SaltException):
    """A function was called with bad arguments."""


class SaltRenderError(SaltException):
    """A file failed to render."""
