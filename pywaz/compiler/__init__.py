"""The compiler engine: each wasm function lowered to Python source, then a code object.

Enters: a :class:`~pywaz.ir.ValidatedModule`. Leaves: a
:class:`~pywaz.compiler.artifact.CompiledArtifact` (code objects plus plain
data, no instance state) that :class:`~pywaz.compiler.engine.CompilerEngine`
binds to any number of module instances. Submodules: :mod:`.lower` (wasm
instructions to Python source), :mod:`.artifact` (compile, lazy/eager,
serialise), :mod:`.engine` (the Engine protocol, per-instance globals),
:mod:`._helpers` (runtime helpers generated code calls), :mod:`.inspect`
(generated source for people).

The VM imports :mod:`.engine` lazily; importing this package stays cheap.
"""
