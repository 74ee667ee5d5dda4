"""Run the commands of one spec script against pywaz, as the reference runner does.

Input: a prepared :class:`~pywaz.spectest.script.Script` and an
:class:`EngineConfig`. Output: a :class:`~pywaz.spectest.report.FileResult`.
Semantics follow the reference interpreter's script runner
(``interpreter/script/run.ml``): ``module`` decodes, validates and
instantiates and becomes the current module; ``module_definition`` only
decodes and validates, and ``module_instance`` instantiates a definition
(each time a new instance); ``register`` makes a module's exports
importable; actions invoke exported functions or read exported globals; the
``assert_*`` commands check results, traps, uncaught wasm exceptions and the
class of error a bad module raises. Each script gets a fresh ``Runtime``
with its own ``spectest`` host module.

Nothing a command does can crash the run: a command is skipped only under
the skip rule of :mod:`pywaz.spectest.backend` (a missing stage, a
text-format module); anything else unexpected, including pywaz refusing a
proposal it does not implement, is a failure carrying the message. A module
that fails or is skipped leaves a placeholder, so later commands that use it
fail or skip with the original reason instead of testing the wrong module.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DecodeError, LinkError, Trap, TrapKind, ValidationError
from ..text import wat2wasm
from ..text.errors import WatError
from .backend import HarnessError, Stages, is_skip, is_wasm_exception, raw_callable, raw_global_value
from .host import build_spectest
from .report import FileResult
from .script import Command, Script
from .values import match_results
from .watchdog import CommandTimeout, Watchdog

# Seconds one command may run. The slowest spec commands take well under a second;
# this only catches engines that loop forever.
DEFAULT_TIMEOUT = 60.0

TEXT_MODULE_SKIP = "text-format module (pywaz has no text parser)"

# The trap kind each spec message names; the longest kind text that prefixes
# the expected message wins ("uninitialized element 2" -> UNINITIALIZED_ELEMENT).
_KINDS_BY_TEXT = sorted(((kind.value, kind) for kind in TrapKind), key=lambda item: -len(item[0]))


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Which engine runs the scripts: ``Runtime(engine=engine, compile_mode=compile_mode)``.

    For the tiered engine, ``tier_thresholds`` (calls, loop back-edges) replaces the engine's real
    thresholds: spec functions run a few times each, so low thresholds make them switch to compiled
    code mid-script (at a call, or inside a running loop), which is what a tiered run must test.
    """

    engine: str = "interpreter"
    compile_mode: str | None = None
    tier_thresholds: tuple[int, int] | None = (2, 1)

    @property
    def label(self) -> str:
        return self.engine if self.compile_mode is None else f"{self.engine}-{self.compile_mode}"


class CommandFailed(Exception):
    """The command did not do what the script expects; the message says why."""


class CommandSkipped(NotImplementedError):
    """The command cannot run yet (a NotImplementedError, so the skip rule applies)."""


class _Placeholder:
    """A module command that did not produce an instance."""

    __slots__ = ("line", "reason", "skipped")

    def __init__(self, line: int, reason: str, skipped: bool):
        self.line = line
        self.reason = reason
        self.skipped = skipped

    def fail(self):
        if self.skipped:
            raise CommandSkipped(self.reason)
        raise CommandFailed(f"module at line {self.line} is unavailable: {self.reason}")


def expected_trap_kind(text: str) -> TrapKind | None:
    """The :class:`TrapKind` whose spec text prefixes ``text``, if any."""
    for kind_text, kind in _KINDS_BY_TEXT:
        if text.startswith(kind_text):
            return kind
    return None


def check_trap(error: BaseException | None, text: str | None) -> None:
    """Require ``error`` to be a trap matching the expected spec ``text``.

    The reference runner accepts a trap when the expected text is a prefix of
    its message. pywaz formats details its own way, so a trap of the kind the
    text names is accepted too ("uninitialized element 2" matches a Trap of
    kind UNINITIALIZED_ELEMENT).

    Raises:
        CommandFailed: no trap, another exception, or a trap of the wrong kind.
    """
    if error is None:
        raise CommandFailed(f"expected trap {text!r}, but nothing trapped")
    if not isinstance(error, Trap):
        raise CommandFailed(f"expected trap {text!r}, got {_describe(error)}")
    if not text:
        return
    message = str(error)
    if message.startswith(text):
        return
    kind = expected_trap_kind(text)
    if kind is not None and error.kind is kind:
        return
    raise CommandFailed(f"expected trap {text!r}, got trap {message!r}")


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _capture(function, *args):
    """Run ``function``; return (result, None) or (None, exception). A skip (backend.is_skip) propagates."""
    try:
        return function(*args), None
    except Exception as exc:  # RecursionError included: an engine must turn it into a trap
        if is_skip(exc):
            raise
        return None, exc


class ScriptRunner:
    """Runs one script's commands in order, keeping the module registry."""

    def __init__(self, script: Script, config: EngineConfig, stages: Stages | None = None,
                 timeout: float | None = DEFAULT_TIMEOUT):
        self.script = script
        self.watchdog = Watchdog(timeout)
        self.config = config
        self.stages = stages if stages is not None else Stages.discover()
        self.result = FileResult(script.name)
        self.runtime = None
        self.runtime_problem: tuple | None = None  # (exception class, message) once setup failed
        self.current = None
        self.named: dict[str, object] = {}
        self.registered: dict[str, object] = {}
        self.definitions: dict[str, object] = {}  # name -> compiled module (or a placeholder)
        self.last_definition = None
        self._handlers = {
            "module": self.do_module,
            "module_definition": self.do_module_definition,
            "module_instance": self.do_module_instance,
            "register": self.do_register,
            "action": self.do_action,
            "assert_return": self.do_assert_return,
            "assert_trap": self.do_assert_trap,
            "assert_exhaustion": self.do_assert_exhaustion,
            "assert_malformed": self.do_assert_malformed,
            "assert_invalid": self.do_assert_invalid,
            "assert_unlinkable": self.do_assert_unlinkable,
            "assert_uninstantiable": self.do_assert_uninstantiable,
            "assert_exception": self.do_assert_exception,
            "assert_malformed_custom": self.do_assert_custom,
            "assert_invalid_custom": self.do_assert_custom,
        }

    # -- driving -----------------------------------------------------------

    def run(self) -> FileResult:
        """Run every command; never raises (except KeyboardInterrupt and the like)."""
        try:
            with self.watchdog:
                for command in self.script.commands:
                    self.run_command(command)
        finally:
            self._close_runtime()
        return self.result

    def run_command(self, command: Command) -> None:
        """Run one command and count its outcome."""
        result = self.result
        ctype = command.type
        if command.error is not None:
            result.add_failure(ctype, command.line, command.error)
            return
        handler = self._handlers.get(ctype)
        if handler is None:
            result.add_failure(ctype, command.line, f"unknown command type {ctype!r}")
            return
        watchdog = self.watchdog
        try:
            watchdog.arm()
            try:
                handler(command)
            finally:
                watchdog.disarm()
        except CommandTimeout as exc:
            result.add_failure(ctype, command.line, str(exc))
        except NotImplementedError as exc:
            if is_skip(exc):
                result.add_skip(ctype, str(exc) or type(exc).__name__)
            else:  # pywaz refused something it does not implement: a visible failure
                result.add_failure(ctype, command.line, _describe(exc))
        except (CommandFailed, HarnessError) as exc:
            result.add_failure(ctype, command.line, str(exc))
        except Exception as exc:  # an unexpected error in pywaz or the data is a failure, never a crash
            result.add_failure(ctype, command.line, f"unexpected {_describe(exc)}")
        else:
            result.add_pass(ctype, command.line)

    # -- runtime -----------------------------------------------------------

    def _get_runtime(self):
        if self.runtime is not None:
            return self.runtime
        if self.runtime_problem is not None:
            problem_class, message = self.runtime_problem
            raise problem_class(message)  # a fresh exception: re-raising one object grows its traceback
        try:
            runtime_class = self.stages.runtime_class
            options = {"engine": self.config.engine}
            if self.config.engine == "tiered" and self.config.tier_thresholds is not None:
                from ..tiered import TieredEngine

                options["engine"] = TieredEngine(*self.config.tier_thresholds)
            if self.config.compile_mode is not None:
                options["compile_mode"] = self.config.compile_mode
            if self.stages.features is not None:
                options["features"] = self.stages.features
            runtime = runtime_class(**options)
            build_spectest(runtime)
        except Exception as exc:
            if is_skip(exc):
                self.runtime_problem = (CommandSkipped, str(exc) or "runtime not available")
                raise CommandSkipped(self.runtime_problem[1]) from None
            self.runtime_problem = (CommandFailed, f"cannot set up the runtime: {_describe(exc)}")
            raise CommandFailed(self.runtime_problem[1]) from None
        self.runtime = runtime
        return runtime

    def _close_runtime(self) -> None:
        close = getattr(self.runtime, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception as exc:
            self.result.add_failure("close", 0, f"Runtime.close() raised {_describe(exc)}")

    def _binary(self, command: Command) -> bytes:
        data = self.script.binary(command.filename)
        if command.module_type != "binary":
            try:
                return wat2wasm(data)
            except WatError as exc:
                raise CommandFailed(f"text module does not assemble: {exc}") from None
        return data

    def _compile(self, data: bytes):
        runtime = self._get_runtime()
        return runtime.compile_module(data)

    def _instantiate(self, compiled):
        runtime = self._get_runtime()
        return runtime.instantiate_module(compiled, self.stages.module_config())

    def _check_accepted(self, data: bytes) -> None:
        """Decode and validate a module the script says is valid (used when no runtime exists)."""
        module, error = _capture(self.stages.decode_module, data)
        if error is not None:
            raise CommandFailed(f"valid module rejected by the decoder: {_describe(error)}")
        _, error = _capture(self.stages.validate, module)
        if error is not None:
            raise CommandFailed(f"valid module rejected by the validator: {_describe(error)}")

    def _link_hint(self, data: bytes) -> None:
        """Explain a link failure caused by a registered module that is unavailable.

        Skip when that module was skipped; otherwise fail with its reason
        rather than with the "unknown import" it leads to.
        """
        unavailable = {name: slot for name, slot in self.registered.items() if isinstance(slot, _Placeholder)}
        if not unavailable:
            return
        try:
            imports = self.stages.decode_module(data).imports
        except Exception:
            return
        for entry in imports:
            slot = unavailable.get(entry.module)
            if slot is None:
                continue
            if slot.skipped:
                raise CommandSkipped(slot.reason)
            raise CommandFailed(f"it imports from {entry.module!r}, the module at line {slot.line}, "
                                f"which is unavailable: {slot.reason}")

    # -- module commands -----------------------------------------------------

    def _load_definition(self, command: Command, placeholder: _Placeholder):
        """Decode, validate and compile the command's module; failures mark ``placeholder`` and propagate."""
        try:
            data = self._binary(command)
            if not self.stages.runtime_class:
                # No runtime yet: still catch a valid module that decode/validate reject.
                self._check_accepted(data)
            compiled, error = _capture(self._compile, data)
            if error is not None:
                raise CommandFailed(f"valid module rejected: {_describe(error)}")
            return data, compiled
        except (Exception, CommandTimeout) as exc:
            self._mark(placeholder, exc)
            raise

    @staticmethod
    def _mark(placeholder: _Placeholder, exc: BaseException) -> None:
        placeholder.skipped = is_skip(exc)
        if isinstance(exc, (CommandFailed, CommandTimeout)):
            placeholder.reason = str(exc)
        elif placeholder.skipped:
            placeholder.reason = str(exc) or type(exc).__name__
        else:
            placeholder.reason = _describe(exc)

    def _define(self, name: str | None, slot) -> None:
        self.last_definition = slot
        if name:
            self.definitions[name] = slot

    def do_module(self, command: Command) -> None:
        # Until this command succeeds, it is the current module as a placeholder.
        placeholder = _Placeholder(command.line, "not instantiated", skipped=False)
        self._set_current(command, placeholder)
        self._define(command.name, placeholder)
        data, compiled = self._load_definition(command, placeholder)
        self._define(command.name, compiled)
        try:
            instance, error = _capture(self._instantiate, compiled)
            if error is not None:
                if isinstance(error, LinkError):
                    self._link_hint(data)
                raise CommandFailed(f"instantiation failed: {_describe(error)}")
        except (Exception, CommandTimeout) as exc:
            self._mark(placeholder, exc)
            raise
        self._set_current(command, instance)

    def do_module_definition(self, command: Command) -> None:
        """Decode and validate a module without instantiating it; ``module_instance`` does that later."""
        placeholder = _Placeholder(command.line, "not defined", skipped=False)
        self._define(command.name, placeholder)
        _, compiled = self._load_definition(command, placeholder)
        self._define(command.name, compiled)

    def do_module_instance(self, command: Command) -> None:
        """Instantiate a module definition (the named one, else the last); the instance becomes current."""
        placeholder = _Placeholder(command.line, "not instantiated", skipped=False)
        self.current = placeholder
        if command.instance:
            self.named[command.instance] = placeholder
        slot = self.last_definition if command.definition is None else self.definitions.get(command.definition)
        if slot is None:
            placeholder.reason = ("no module defined yet" if command.definition is None
                                  else f"no module definition named {command.definition}")
            raise CommandFailed(placeholder.reason)
        if isinstance(slot, _Placeholder):
            placeholder.reason, placeholder.skipped = slot.reason, slot.skipped
            slot.fail()
        instance, error = _capture(self._instantiate, slot)
        if error is not None:
            placeholder.reason = f"instantiation failed: {_describe(error)}"
            raise CommandFailed(placeholder.reason)
        self.current = instance
        if command.instance:
            self.named[command.instance] = instance

    def _set_current(self, command: Command, slot) -> None:
        self.current = slot
        if command.name:
            self.named[command.name] = slot

    def _module(self, name: str | None):
        slot = self.current if name is None else self.named.get(name)
        if slot is None:
            raise CommandFailed("no module defined yet" if name is None else f"no module named {name}")
        if isinstance(slot, _Placeholder):
            slot.fail()
        return slot

    def do_register(self, command: Command) -> None:
        slot = self.current if command.name is None else self.named.get(command.name)
        if slot is None:
            raise CommandFailed(f"register: no module {command.name or '(current)'} to register")
        again = command.as_name in self.registered
        self.registered[command.as_name] = slot
        if isinstance(slot, _Placeholder):
            slot.fail()
        if again:  # the reference interpreter's registry is a map: registering a name again rebinds it
            self._get_runtime().register(command.as_name, slot, replace=True)
        else:
            self._get_runtime().register(command.as_name, slot)

    def _load_module_expecting_error(self, command: Command):
        """Compile and instantiate a module that should not instantiate; return the error (or None)."""
        data = self._binary(command)
        compiled, error = _capture(self._compile, data)
        if error is not None:
            return data, "compile", error
        _, error = _capture(self._instantiate, compiled)
        return data, "instantiate", error

    def do_assert_unlinkable(self, command: Command) -> None:
        data, stage, error = self._load_module_expecting_error(command)
        if isinstance(error, LinkError) and stage == "instantiate":
            return
        if error is None:
            raise CommandFailed(f"expected link error {command.text!r}, but the module instantiated")
        if not isinstance(error, LinkError):
            self._link_hint(data)
        raise CommandFailed(f"expected link error {command.text!r}, got {_describe(error)} during {stage}")

    def do_assert_uninstantiable(self, command: Command) -> None:
        data, stage, error = self._load_module_expecting_error(command)
        if stage == "compile":
            raise CommandFailed(f"expected trap {command.text!r} at instantiation, got {_describe(error)} at compile")
        if isinstance(error, LinkError):
            self._link_hint(data)
        check_trap(error, command.text)

    def do_assert_malformed(self, command: Command) -> None:
        if command.module_type != "binary":
            try:
                wat2wasm(self.script.binary(command.filename))
            except WatError:
                return  # malformed text: what the command expects
        data = self._binary(command)
        module, error = _capture(self.stages.decode_module, data)
        if isinstance(error, DecodeError):
            return
        if error is not None:
            raise CommandFailed(f"expected DecodeError ({command.text!r}), got {_describe(error)}")
        _, error = _capture(self.stages.validate, module)
        if error is None:
            raise CommandFailed(f"expected DecodeError ({command.text!r}), but the module decoded and validated")
        raise CommandFailed(f"expected DecodeError ({command.text!r}), decoded but then got {_describe(error)}")

    def do_assert_invalid(self, command: Command) -> None:
        data = self._binary(command)
        module, error = _capture(self.stages.decode_module, data)
        if error is not None:
            raise CommandFailed(f"expected ValidationError ({command.text!r}), decoding raised {_describe(error)}")
        _, error = _capture(self.stages.validate, module)
        if isinstance(error, ValidationError):
            return
        if error is None:
            raise CommandFailed(f"expected ValidationError ({command.text!r}), but the module validated")
        raise CommandFailed(f"expected ValidationError ({command.text!r}), got {_describe(error)}")

    # -- actions -------------------------------------------------------------

    def perform(self, command: Command):
        """Run the command's action and return its raw result (exceptions propagate)."""
        action = command.action
        instance = self._module(action.module)
        if action.kind == "get":
            return raw_global_value(instance, action.field)
        return raw_callable(instance, action.field)(*action.args)

    def _perform_capturing(self, command: Command):
        try:
            return self.perform(command), None
        except (NotImplementedError, CommandFailed, HarnessError):
            raise
        except Exception as exc:
            return None, exc

    def do_action(self, command: Command) -> None:
        _, error = self._perform_capturing(command)
        if error is not None:
            raise CommandFailed(f"{command.action.describe()} raised {_describe(error)}")

    def do_assert_return(self, command: Command) -> None:
        actual, error = self._perform_capturing(command)
        if error is not None:
            raise CommandFailed(f"{command.action.describe()} raised {_describe(error)}")
        reason = match_results(command.expected, actual)
        if reason is not None:
            raise CommandFailed(f"{command.action.describe()}: {reason}")

    def do_assert_trap(self, command: Command) -> None:
        if command.action is None:  # (assert_trap (module ...)) from other converters
            self.do_assert_uninstantiable(command)
            return
        _, error = self._perform_capturing(command)
        try:
            check_trap(error, command.text)
        except CommandFailed as exc:
            raise CommandFailed(f"{command.action.describe()}: {exc}") from None

    def do_assert_exception(self, command: Command) -> None:
        _, error = self._perform_capturing(command)
        if is_wasm_exception(error):
            return
        what = command.action.describe()
        if error is None:
            raise CommandFailed(f"{what}: expected an uncaught wasm exception, but it returned")
        raise CommandFailed(f"{what}: expected an uncaught wasm exception, got {_describe(error)}")

    def do_assert_custom(self, command: Command) -> None:
        """``assert_malformed_custom`` / ``assert_invalid_custom``: an error inside a custom section.

        Errors in the data of a custom section must not invalidate a module
        (the core spec's custom-section appendix: an implementation that
        interprets such a section reports them at most as warnings), and
        pywaz interprets none of the sections these commands target (branch
        hints), so the module must decode and validate; that is what is
        checked. The expected message is not compared: pywaz produces none.
        """
        if command.module_type != "binary":
            try:
                wat2wasm(self.script.binary(command.filename))
            except WatError as exc:
                # pywaz's assembler does read @custom annotations: a malformed one is its error.
                if command.text and command.text in str(exc):
                    return
        data = self._binary(command)
        module, error = _capture(self.stages.decode_module, data)
        if error is None:
            _, error = _capture(self.stages.validate, module)
        if error is not None:
            raise CommandFailed(f"a module whose only problem is in a custom section ({command.text!r}) "
                                f"was rejected: {_describe(error)}")

    def do_assert_exhaustion(self, command: Command) -> None:
        _, error = self._perform_capturing(command)
        if isinstance(error, Trap) and error.kind is TrapKind.CALL_STACK_EXHAUSTED:
            return
        if error is None:
            raise CommandFailed(f"{command.action.describe()}: expected {command.text!r}, but it returned")
        raise CommandFailed(f"{command.action.describe()}: expected {command.text!r}, got {_describe(error)}")


def run_script(script: Script, config: EngineConfig | None = None, stages: Stages | None = None,
               timeout: float | None = DEFAULT_TIMEOUT) -> FileResult:
    """Run every command of ``script`` with a fresh runtime; see :class:`ScriptRunner`.

    ``timeout`` limits each command in seconds (None: no limit; see :mod:`.watchdog`).
    """
    return ScriptRunner(script, config or EngineConfig(), stages, timeout).run()
