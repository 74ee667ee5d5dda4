"""Frozen record classes for the IR, without the import-time cost of ``dataclasses``.

``@record`` turns a class with annotated fields into what
``@dataclass(frozen=True, slots=True)`` would make of it: ``__slots__``, an
``__init__`` taking the fields in order (defaults and :func:`factory` defaults
allowed; it ends by calling ``__post_init__()`` if the class has one),
field-wise ``__repr__``, ``__eq__`` and ``__hash__``, assignment refused with
:class:`FrozenInstanceError`, ``__match_args__``, pickling, and
``__replace__`` (so ``copy.replace`` works on Python 3.13+).
Only ``__init__`` is generated (one small ``exec`` per class); the other
methods are shared functions reading the class's field list. ``dataclasses``
runs several ``exec`` per class and imports ``inspect`` (with ``ast``,
``dis`` and ``tokenize``): together a fifth of a warm ``pywaz run``.

:func:`fields` and :func:`replace` stand in for their ``dataclasses`` namesakes.
"""

from __future__ import annotations

from operator import attrgetter

_FIELDS = "__record_fields__"


class FrozenInstanceError(AttributeError):
    """Raised when a field of a record is assigned or deleted."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


def factory(make) -> _Factory:
    """A field default made fresh for each instance by calling ``make()`` (like ``field(default_factory=)``)."""
    return _Factory(make)


def _own_fields(cls) -> list[str]:
    # With postponed evaluation the annotations are strings; only the names matter here.
    return [
        name
        for name, annotation in cls.__dict__.get("__annotations__", {}).items()  # noqa: RUF063 (no inspect import)
        if not str(annotation).startswith(("ClassVar", "typing.ClassVar"))
    ]


def record(cls):
    """Make ``cls`` a frozen, slotted record class (see the module docs)."""
    names = []
    for base in reversed(cls.__mro__[1:]):
        names.extend(name for name in getattr(base, _FIELDS, ()) if name not in names)
    names.extend(name for name in _own_fields(cls) if name not in names)

    namespace = {"_NOTHING": _Factory}
    params, body = [], []
    seen_default = False
    for name in names:
        default = cls.__dict__.get(name, _Factory)  # _Factory itself marks "no default"
        if default is _Factory:
            if seen_default:
                raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")
            params.append(name)
            body.append(f"    _set_{name}(self, {name})")
            continue
        seen_default = True
        if isinstance(default, _Factory):
            namespace[f"_make_{name}"] = default.make
            params.append(f"{name}=_NOTHING")
            body.append(f"    _set_{name}(self, _make_{name}() if {name} is _NOTHING else {name})")
        else:
            namespace[f"_default_{name}"] = default
            params.append(f"{name}=_default_{name}")
            body.append(f"    _set_{name}(self, {name})")

    if hasattr(cls, "__post_init__"):  # as dataclasses: checks and normalisation after the fields are set
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 (our own source)
    generated = {"__init__": namespace["__init__"], **_SHARED_METHODS}

    body_dict = {key: value for key, value in cls.__dict__.items() if key not in names}
    body_dict.pop("__dict__", None)
    body_dict.pop("__weakref__", None)
    inherited = {slot for base in cls.__mro__[1:] for slot in getattr(base, "__slots__", ())}
    body_dict["__slots__"] = tuple(name for name in names if name not in inherited)
    for method, function in generated.items():
        if method == "__init__":
            function.__qualname__ = f"{cls.__qualname__}.__init__"
        own = cls.__dict__.get(method, _Factory)
        # A class body that defines __eq__ gets __hash__ = None from Python: not a choice of its own.
        implicit = method == "__hash__" and own is None and "__eq__" in cls.__dict__
        if own is _Factory or implicit or method in ("__setattr__", "__delattr__"):
            body_dict[method] = function
    body_dict["__match_args__"] = tuple(names)
    body_dict[_FIELDS] = tuple(names)
    getter = attrgetter(*names) if names else (lambda obj: ())
    body_dict["_record_values"] = staticmethod(getter if len(names) != 1 else lambda obj: (getter(obj),))
    new_cls = type(cls)(cls.__name__, cls.__bases__, body_dict)
    new_cls.__qualname__ = cls.__qualname__
    # __init__ writes each slot through its descriptor: a third faster than object.__setattr__,
    # and the decoder and validator build millions of these.
    for name in names:
        namespace[f"_set_{name}"] = getattr(new_cls, name).__set__
    return new_cls


# Shared by every record class: only __init__ needs a signature of its own, so only it is generated.


def _repr(self):
    shown = ", ".join(f"{name}={value!r}" for name, value in zip(self.__record_fields__, self._record_values(self)))
    return f"{type(self).__qualname__}({shown})"


def _eq(self, other):
    if other.__class__ is self.__class__:
        return self._record_values(self) == self._record_values(other)
    return NotImplemented


def _hash(self):
    return hash(self._record_values(self))


def _setattr_refused(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr_refused(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self):
    return self._record_values(self)


def _setstate(self, state):
    for name, value in zip(self.__record_fields__, state):
        object.__setattr__(self, name, value)


_SHARED_METHODS = {
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _setattr_refused,
    "__delattr__": _delattr_refused,
    "__getstate__": _getstate,
    "__setstate__": _setstate,
    "__replace__": lambda self, /, **changes: replace(self, **changes),
}


def fields(obj) -> tuple[str, ...]:
    """The field names of a record class or instance, in order.

    Raises:
        TypeError: ``obj`` is not a record.
    """
    names = getattr(obj, _FIELDS, None)
    if names is None:
        raise TypeError(f"{obj!r} is not a record")
    return names


def replace(obj, **changes):
    """A copy of record ``obj`` with ``changes`` applied (like ``dataclasses.replace``).

    Raises:
        TypeError: ``obj`` is not a record, or a change names no field.
    """
    names = fields(obj)
    unknown = set(changes).difference(names)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {min(unknown)!r}")
    return type(obj)(**{name: changes[name] if name in changes else getattr(obj, name) for name in names})
