"""Test support for the compiler engine: a minimal instantiation without the VM.

``instantiate(wasm_bytes, mode)`` decodes, validates, builds a ModuleInstance
by hand (memories, tables, globals, functions, active segments) and binds it
with the engine under test. Imports come from ``imports[(module, name)]`` as
ready runtime objects (Function, Memory, Table, Global). It exists so the
compiler's tests do not depend on the Runtime API; it is not a spec-complete
instantiation (no start function, segments applied without bounds traps).
"""

from __future__ import annotations

from pywaz.api import CompileOptions
from pywaz.decoder import decode_module
from pywaz.ir import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, MODE_ACTIVE
from pywaz.numeric import f32_from_bits, f64_from_bits
from pywaz.validator import validate
from pywaz.vm.objects import Function, Global, Memory, ModuleInstance, Table


def _const_value(expr, instance):
    value = None
    for code, imm in zip(expr.ops, expr.imms):
        if code in (0x41, 0x42):
            value = imm
        elif code == 0x43:
            value = f32_from_bits(imm)
        elif code == 0x44:
            value = f64_from_bits(imm)
        elif code == 0x23:
            value = instance.globals_[imm].value
        elif code == 0xD0:
            value = None
        elif code == 0xD2:
            value = instance.funcs[imm]
        elif code == 0xFD0C:
            value = imm
        else:
            raise NotImplementedError(f"constant expression op {code:#x}")
    return value


def instantiate(data: bytes, mode: str = "eager", imports: dict | None = None, engine=None):
    """Decode, validate, compile and bind ``data``; return (instance, artifact)."""
    from pywaz.compiler.engine import CompilerEngine

    imports = imports or {}
    module = decode_module(data)
    validated = validate(module)
    engine = engine or CompilerEngine()
    artifact = engine.compile(validated, CompileOptions(compile_mode=mode))
    instance = bind_instance(validated, artifact, engine, imports)
    return instance, artifact


def bind_instance(validated, artifact, engine, imports=None):
    imports = imports or {}
    module = validated.module
    instance = ModuleInstance(validated)
    for imp in module.imports:
        obj = imports[(imp.module, imp.name)]
        {
            EXTERN_FUNC: instance.funcs,
            EXTERN_TABLE: instance.tables,
            EXTERN_MEMORY: instance.memories,
            EXTERN_GLOBAL: instance.globals_,
        }[imp.kind].append(obj)
    first = len(instance.funcs)
    for i, type_index in enumerate(module.functions):
        instance.funcs.append(Function(module.types[type_index], None, instance=instance, index=first + i))
    for table_type in module.tables:
        instance.tables.append(Table(table_type))
    for memory_type in module.memories:
        instance.memories.append(Memory(memory_type))
    for g in module.globals_:
        instance.globals_.append(Global(g.type, _const_value(g.init, instance)))
    instance.elem_segments = [tuple(_const_value(e, instance) for e in seg.init) for seg in module.elements]
    instance.data_segments = [seg.data for seg in module.datas]
    for export in module.exports:
        space = {
            EXTERN_FUNC: instance.funcs,
            EXTERN_TABLE: instance.tables,
            EXTERN_MEMORY: instance.memories,
            EXTERN_GLOBAL: instance.globals_,
        }[export.kind]
        instance.exports[export.name] = space[export.index]
    engine.bind(artifact, instance)
    for i, seg in enumerate(module.elements):
        if seg.mode == MODE_ACTIVE:
            offset = _const_value(seg.offset_expr, instance)
            instance.tables[seg.table_index].elements[offset : offset + len(seg.init)] = instance.elem_segments[i]
            instance.elem_segments[i] = ()
        elif seg.mode != "passive":
            instance.elem_segments[i] = ()
    for i, seg in enumerate(module.datas):
        if seg.mode == MODE_ACTIVE:
            offset = _const_value(seg.offset_expr, instance)
            instance.memories[seg.memory_index].data[offset : offset + len(seg.data)] = seg.data
            instance.data_segments[i] = b""
    return instance


def call(instance, name, *args):
    return instance.exports[name].call(*args)
