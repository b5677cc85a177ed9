"""The error every Quartz failure meant for a person derives from."""


class QuartzError(Exception):
    """A failure with a message a person can act on; `exit_code` is what the CLI returns."""

    exit_code = 1


class BadInput(QuartzError):
    """Bad arguments, configuration or report: nothing was written and nothing was sent."""

    exit_code = 2
