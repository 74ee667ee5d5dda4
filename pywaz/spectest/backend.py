"""The harness's view of pywaz: which stages exist, and raw access to exports.

The harness runs against whatever part of the pipeline exists: decoder
(``pywaz.decoder.decode_module``), validator (``pywaz.validator.validate``) and
runtime (``pywaz.Runtime``). A stage whose module or name does not exist yet is
*missing*; using it raises ``NotImplementedError``.

**The skip rule** (the one mechanism for "cannot run here"): a command is
counted as skipped exactly when running it raises a ``NotImplementedError``
that is not a :class:`~pywaz.errors.PywazError` -- from a missing stage here,
or from the harness for a text-format module. When pywaz itself refuses
something it does not implement (an unsupported proposal, an instruction an
engine cannot run yet: a typed ``PywazError``, whether or not it is also a
``NotImplementedError``), the command fails with pywaz's message, so that
gaps stay visible. Anything else that goes wrong is a failure too.

A stage that exists but fails to import (a syntax error, a bad import) is not
missing: every command that needs it fails with the import error.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

from ..errors import PywazError, Trap
from ..vm.objects import Function, Global


class _Unavailable:
    """Stands in for a stage that cannot be used; calling it raises."""

    def __init__(self, what: str, error: BaseException | None):
        self.what = what
        self.error = error

    def __call__(self, *args, **kwargs):
        if self.error is None:
            raise NotImplementedError(f"{self.what} is not available yet")
        raise StageImportError(f"{self.what} failed to import: {type(self.error).__name__}: {self.error}")

    def __bool__(self) -> bool:
        return False


class StageImportError(Exception):
    """A pywaz stage exists but importing it raised."""


def _lookup(module_name: str, attribute: str):
    what = f"{module_name}.{attribute}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return _Unavailable(what, None)
        return _Unavailable(what, exc)
    except Exception as exc:  # a stage under construction may fail to import in any way
        return _Unavailable(what, exc)
    found = getattr(module, attribute, None)
    return _Unavailable(what, None) if found is None else found


@dataclass(frozen=True, slots=True)
class Stages:
    """The pipeline entry points the harness uses (each may be an unavailable stand-in)."""

    decode_module: object
    validate: object
    runtime_class: object
    module_config: object
    features: object = None  # the runtime's Features (None: pywaz's defaults)

    @classmethod
    def discover(cls, suite: str = "v3") -> Stages:
        """Look every stage up now (call again to see newly landed code).

        ``suite`` "v2" validates by WebAssembly 2.0's rules where 3.0 relaxed them (constant expressions:
        no arithmetic, only imported globals), since the 2.0 suite's ``assert_invalid`` commands check them.
        """
        validate = _lookup("pywaz.validator", "validate")
        decode_module = _lookup("pywaz.decoder", "decode_module")
        features = None
        if suite == "v2" and not isinstance(validate, _Unavailable):
            from ..features import Features

            features = Features.wasm2()
            validate = functools.partial(validate, features=features)
            decode_module = functools.partial(decode_module, features=features)
        return cls(
            decode_module=decode_module,
            validate=validate,
            runtime_class=_lookup("pywaz", "Runtime"),
            module_config=_lookup("pywaz", "ModuleConfig"),
            features=features,
        )

    def missing(self) -> list[str]:
        """Names of the stages that are not usable."""
        return [
            stage.what
            for stage in (self.decode_module, self.validate, self.runtime_class, self.module_config)
            if isinstance(stage, _Unavailable)
        ]


def is_skip(error: BaseException) -> bool:
    """True when ``error`` means "cannot run here" under the skip rule above."""
    return isinstance(error, NotImplementedError) and not isinstance(error, PywazError)


def is_wasm_exception(error: BaseException | None) -> bool:
    """True when ``error`` is an uncaught WebAssembly exception (``throw`` reaching the host).

    The contract (exception handling, DESIGN.md): pywaz raises one exception
    class for wasm exceptions, carrying the tag instance as ``tag`` and the
    payload values as ``payload``. Traps are never wasm exceptions.
    """
    return (error is not None and not isinstance(error, Trap)
            and hasattr(error, "tag") and hasattr(error, "payload"))


class HarnessError(Exception):
    """The module under test does not have the export a command uses."""


def _export(instance, field: str):
    try:
        return instance.exports[field]
    except KeyError:
        raise HarnessError(f"module has no export named {field!r}") from None


def raw_callable(instance, field: str):
    """A callable running the exported function ``field`` on raw values.

    Prefers the public wrapper's ``call_raw`` (the VM's entry point from
    Python: it maps Python recursion overflow to a trap); a bare store
    :class:`~pywaz.vm.objects.Function` is called through ``call``.

    Raises:
        HarnessError: no such export, or it is not a function.
    """
    found = _export(instance, field)
    call_raw = getattr(found, "call_raw", None)
    if call_raw is not None:
        return call_raw
    if isinstance(found, Function):
        return found.call
    raise HarnessError(f"export {field!r} is not a function ({type(found).__name__})")


def raw_global_value(instance, field: str):
    """The raw value of the exported global ``field``.

    Raises:
        HarnessError: no such export, or it is not a global.
    """
    found = _export(instance, field)
    if not isinstance(found, Global):
        found = getattr(found, "global_", found)
    if isinstance(found, Global):
        return found.value
    raise HarnessError(f"export {field!r} is not a global ({type(found).__name__})")
