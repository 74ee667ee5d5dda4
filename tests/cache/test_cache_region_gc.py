"""An open code region closes from a finalizer, which the cyclic garbage collector may run at any allocation
— including one made while another region is being opened (this deadlocked on CPython 3.12)."""

from __future__ import annotations

import gc
import os
import threading

from pywaz.cache import storedcode


class _Cycle:
    """Holds a region through a reference cycle, so the collector, not refcounting, finalizes it."""

    def __init__(self, region):
        self.region = region
        self.me = self


def test_a_finalizer_run_by_the_collector_while_a_region_opens_does_not_deadlock(tmp_path, monkeypatch):
    path = tmp_path / "entry"
    path.write_bytes(b"x" * 64)
    size = storedcode.SMALL_REGION_BYTES + 1  # a large region: it keeps the file open

    def open_one():
        return storedcode.open_region(os.open(path, os.O_RDONLY), 0, size, lambda offset, length: b"")

    class CollectingRegion(storedcode._FileRegion):
        """Building a region allocates, and an allocation may run the collector: make it always do so."""

        __slots__ = ()

        def __init__(self, fd, small=False):
            gc.collect()
            super().__init__(fd, small)

    gc.disable()  # the garbage below must wait for the collection made while a region is being built
    try:
        region, took_fd = open_one()
        assert took_fd
        _Cycle(region)
        del region
        monkeypatch.setattr(storedcode, "_FileRegion", CollectingRegion)
        outcome = []

        def worker_body():
            region, _ = open_one()
            outcome.append(region.read(0, 4))
            region.close()

        worker = threading.Thread(target=worker_body, daemon=True)
        worker.start()
        worker.join(timeout=60)
    finally:
        gc.enable()
    assert not worker.is_alive(), "opening a region deadlocked with a finalizer run by the collector"
    assert outcome == [b"xxxx"]
