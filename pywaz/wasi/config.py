"""WasiConfig: what a WASI guest sees (argv, environment, stdio, preopened directories).

Frozen, like every pywaz configuration: the ``with_*`` methods return a copy
and never raise. Bad values (an unopenable stdio file, a preopen that is not a
directory) surface once, when :class:`pywaz.wasi.Wasi` is created from the config.
"""

from __future__ import annotations

import os
from typing import Any

from .._records import record, replace

MEMORY_FAULT_POLICIES = ("trap", "errno")


@record
class WasiConfig:
    """Configuration of one WASI environment.

    ``args``: argv, program name first (str or bytes). ``env``: a mapping,
    ``(name, value)`` pairs or ``"NAME=value"`` strings. ``preopens``: ``(guest_path,
    host_directory)`` pairs, given fds 3, 4, ... in order. ``stdin``,
    ``stdout``, ``stderr``: ``None`` (stdin empty, output discarded), bytes
    (stdin contents), a host path, an int host fd (0/1/2 inherit the host's),
    or a Python file object. ``memory_fault``: what a guest pointer outside its
    memory does -- ``"trap"`` (wasmtime's behaviour, the default) or
    ``"errno"`` (the call returns ``EFAULT``). ``sockets``: Python
    ``socket.socket`` objects (listening or connected) handed to the guest
    as the fds after the preopens, like wasmtime's ``--tcplisten``; the
    guest owns them from then on (fd_close closes them).
    """

    args: tuple = ()
    env: tuple = ()
    preopens: tuple = ()
    stdin: Any = None
    stdout: Any = None
    stderr: Any = None
    memory_fault: str = "trap"
    sockets: tuple = ()

    def __post_init__(self) -> None:
        env = self.env
        if hasattr(env, "items"):
            env = tuple(env.items())
        object.__setattr__(self, "env", tuple(pair if isinstance(pair, (str, bytes)) else tuple(pair) for pair in env))
        object.__setattr__(self, "args", tuple(self.args))
        preopens = self.preopens
        if hasattr(preopens, "items"):
            preopens = tuple(preopens.items())
        object.__setattr__(self, "preopens", tuple(tuple(pair) for pair in preopens))
        object.__setattr__(self, "sockets", tuple(self.sockets))

    def with_args(self, *args) -> WasiConfig:
        return replace(self, args=tuple(args))

    def with_env(self, env) -> WasiConfig:
        return replace(self, env=env)

    def with_preopen(self, guest_path: str, host_path: str | os.PathLike) -> WasiConfig:
        return replace(self, preopens=self.preopens + ((guest_path, host_path),))

    def with_stdin(self, stdin) -> WasiConfig:
        return replace(self, stdin=stdin)

    def with_stdout(self, stdout) -> WasiConfig:
        return replace(self, stdout=stdout)

    def with_stderr(self, stderr) -> WasiConfig:
        return replace(self, stderr=stderr)

    def with_inherited_stdio(self) -> WasiConfig:
        """Use the host process's own fds 0, 1 and 2."""
        return replace(self, stdin=0, stdout=1, stderr=2)

    def with_socket(self, sock) -> WasiConfig:
        return replace(self, sockets=self.sockets + (sock,))

    def with_memory_fault(self, policy: str) -> WasiConfig:
        return replace(self, memory_fault=policy)
