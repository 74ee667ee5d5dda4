"""The ``spectest`` host module every spec script may import from.

Its contents follow the reference interpreter's ``interpreter/host/spectest.ml``
(checked at the wg-2.0 tag, see the testsuite README): print functions that do
nothing, four immutable globals holding 666 / 666.6, a funcref table (10, 20)
and a memory (1, 2). One instance serves every module of one script.

3.0 adds ``table64``, a funcref table (10, 20) with i64 addresses (imported
by ``table64.wast`` line 13).
"""

from __future__ import annotations

from ..numeric import f32_from_bits, f64_from_bits

SPECTEST_FUNCTIONS = (
    ("print", ()),
    ("print_i32", ("i32",)),
    ("print_i64", ("i64",)),
    ("print_f32", ("f32",)),
    ("print_f64", ("f64",)),
    ("print_i32_f32", ("i32", "f32")),
    ("print_f64_f64", ("f64", "f64")),
)

SPECTEST_GLOBALS = (
    ("global_i32", "i32", 666),
    ("global_i64", "i64", 666),
    ("global_f32", "f32", f32_from_bits(0x4426A666)),  # 666.6 rounded to f32
    ("global_f64", "f64", f64_from_bits(0x4084D4CCCCCCCCCD)),  # 666.6
)

SPECTEST_TABLE = ("table", "funcref", 10, 20)
SPECTEST_TABLE64 = ("table64", "funcref", 10, 20)
SPECTEST_MEMORY = ("memory", 1, 2)


def _ignore(*args) -> None:
    """The print functions: the reference interpreter prints, the harness stays quiet."""
    return


def build_spectest(runtime):
    """Instantiate the ``spectest`` host module in ``runtime`` and register it.

    Raises:
        NotImplementedError: the runtime has no host-module builder yet.
    """
    new_host_module = getattr(runtime, "new_host_module", None)
    if new_host_module is None:
        raise NotImplementedError("Runtime.new_host_module is not available yet")
    builder = new_host_module("spectest")
    for name, params in SPECTEST_FUNCTIONS:
        builder = builder.function(name, _ignore, params=list(params), results=[])
    for name, valtype, value in SPECTEST_GLOBALS:
        builder = builder.global_(name, valtype, value, mutable=False)
    name, elem_type, minimum, maximum = SPECTEST_TABLE
    builder = builder.table(name, elem_type, minimum, maximum)
    name, elem_type, minimum, maximum = SPECTEST_TABLE64
    builder = builder.table(name, elem_type, minimum, maximum, address_type="i64")
    name, minimum, maximum = SPECTEST_MEMORY
    builder = builder.memory(name, minimum, maximum)
    instance = builder.instantiate()
    runtime.register("spectest", instance)
    return instance
