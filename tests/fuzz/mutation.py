"""Mutation fuzzing of the decoder, validator and compiler: real modules (the spec suite's) with random
byte changes must decode, validate and compile, or fail with a typed pywaz error — never another exception,
never a hang."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

#: The v2 spec corpus beside the repository, as CI has it.
SPEC_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "wasm-testsuite" / "v2-json"


def corpus(limit: int | None = None) -> list[bytes]:
    """Valid modules of the spec corpus (the ``.0.wasm`` of each script is a module every script starts with)."""
    paths = sorted(SPEC_CORPUS.glob("*/*.wasm"))
    modules = []
    for path in paths:
        data = path.read_bytes()
        if 8 < len(data) < 64 * 1024:
            modules.append(data)
        if limit is not None and len(modules) >= limit:
            break
    return modules


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits: a byte set, a bit flipped, a range deleted or duplicated, a LEB stretched."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if len(buf) <= 8:
            break
        at = rng.randrange(8, len(buf))
        choice = rng.randrange(5)
        if choice == 0:
            buf[at] = rng.randrange(256)
        elif choice == 1:
            buf[at] ^= 1 << rng.randrange(8)
        elif choice == 2:
            del buf[at : at + rng.randint(1, 8)]
        elif choice == 3:
            buf[at:at] = buf[at : at + rng.randint(1, 8)]
        else:
            buf[at:at] = b"\x80" * rng.randint(1, 5)  # continuation bytes: overlong or runaway LEB128
    return bytes(buf)


@dataclass
class MutationTally:
    mutants: int = 0
    decoded: int = 0
    validated: int = 0
    compiled: int = 0
    rejected: int = 0
    escapes: list = field(default_factory=list)


def check_mutant(data: bytes, tally: MutationTally) -> None:
    """Decode, validate and compile ``data``; record anything but success or a typed pywaz error."""
    from pywaz.compiler.artifact import compile_function
    from pywaz.decoder import decode_module
    from pywaz.errors import PywazError
    from pywaz.validator import validate

    tally.mutants += 1
    try:
        module = decode_module(data)
        tally.decoded += 1
        validated = validate(module)
        tally.validated += 1
        for local_index in range(len(module.codes)):
            compile_function(validated, local_index)
        tally.compiled += 1
    except PywazError:
        tally.rejected += 1
    except Exception as exc:  # noqa: BLE001 - anything else escaping pywaz is a finding
        tally.escapes.append((data, f"{type(exc).__name__}: {exc}"))


def mutation_campaign(seed: int, mutants: int, modules: list[bytes]) -> MutationTally:
    rng = random.Random(seed)
    tally = MutationTally()
    for _ in range(mutants):
        check_mutant(mutate(rng.choice(modules), rng), tally)
    return tally
