"""A loop allocating millions of short-lived structs runs in bounded memory.

Structs are plain Python objects (pywaz.gcvalues): reference counting frees each one when the local that
held it is overwritten, and CPython's cyclic collector takes the ones that point at themselves. Run in
a fresh process, the peak RSS after two million iterations (each struct in a self-cycle) must stay
within a few MiB of the peak after a thousand; keeping the two million alive would take about 170 MiB.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CHURN = r'''
import json, resource, sys, time
import pywaz

WAT = """
(module
  (type $node (struct (field $v (mut i32)) (field $next (mut (ref null $node)))))
  (func (export "churn") (param $n i32) (result i32)
    (local $s (ref null $node))
    (loop $l
      ;; a new struct pointing at itself replaces the previous one, which becomes garbage (a cycle)
      (struct.set $node $next (local.tee $s (struct.new $node (local.get $n) (ref.null $node))) (local.get $s))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (struct.get $node $v (local.get $s))))
"""


def peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


churn = pywaz.Runtime(sys.argv[1]).instantiate(pywaz.wat2wasm(WAT)).exports["churn"]
churn(1000)
before = peak_kib()
start = time.perf_counter()
total = churn(int(sys.argv[2]))
print(json.dumps({"growth_kib": peak_kib() - before, "seconds": time.perf_counter() - start, "total": total}))
'''

ITERATIONS = 2_000_000


@pytest.mark.skipif(sys.platform == "win32", reason="peak RSS comes from the resource module")
def test_short_lived_structs_run_in_bounded_memory():
    proc = subprocess.run([sys.executable, "-c", CHURN, "interpreter", str(ITERATIONS)], capture_output=True,
                          check=False, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["total"] == 1  # the loop ran to the end: the last struct holds 1
    assert result["growth_kib"] < 16 * 1024, result
