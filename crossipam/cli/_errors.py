"""The exit codes of the ``crossipam`` console script and the error of bad command-line input (a leaf of
`crossipam.cli`: every other part of it may import this one).

```python
exit_code_for(UsageError("deploy needs --location"))   # 2 (EXIT_USAGE)
```
"""

from __future__ import annotations

from ..errors import (
    AdminCredentialError,
    ApplicationNotFoundError,
    AuthorizationError,
    ConfigurationError,
    CredentialError,
    CrossIpamError,
    InsufficientPrivilegesError,
    InvalidInputError,
    NotFoundError,
)

# Exit codes of the console script: 0-3 mean what they mean in `az` (0 ok, 1 error, 2 usage, 3 not found).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
"""Azure answered that the resource does not exist (ARM 404): a VNet, a pool, an app (az's 3)."""
EXIT_NOT_READY = 4
EXIT_AUTH = 5
"""Authentication or authorization failed (az says 1; crossipam tells it apart: the fix is a role or a login)."""
EXIT_BROKEN_PIPE = 141
"""The reader of stdout went away (128 + SIGPIPE, what a shell reports for a writer killed by it)."""


class UsageError(CrossIpamError):
    """Bad command-line input (exit code 2).

    ```python
    raise UsageError("--addresses is required", hint="or use --from-file")
    ```
    """


def exit_code_for(err: BaseException) -> int:
    """The exit code for an error: 2 bad input, 3 not found, 5 authentication/authorization, 1 anything else.

    ```python
    exit_code_for(InvalidInputError("bad"))   # 2
    ```
    """
    if isinstance(err, (UsageError, InvalidInputError, ConfigurationError)):
        return EXIT_USAGE
    if isinstance(err, (NotFoundError, ApplicationNotFoundError)):
        return EXIT_NOT_FOUND
    if isinstance(
        err, (CredentialError, AuthorizationError, AdminCredentialError, InsufficientPrivilegesError)
    ):
        return EXIT_AUTH
    return EXIT_ERROR
