"""Device leases: one holder per device, across threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.devices.base import DeviceUnavailable
from harness.devices.pool import DevicePool
from harness.spec.profile import DeviceSlot

A, B = DeviceSlot(emulator="emu-a"), DeviceSlot(udid="R58M-B")


def test_two_holders_get_two_devices_and_two_ports(tmp_path: Path) -> None:
    pool = DevicePool("http://appium", lock_dir=tmp_path, wait=0.5, poll=0.05)
    with pool.lease([A, B], "x") as one, pool.lease([A, B], "y") as two:
        assert {one.slot.label, two.slot.label} == {"emu-a", "R58M-B"}
        assert one.system_port != two.system_port
        assert one.system_port is not None and 8200 <= one.system_port < 8300
        with pytest.raises(DeviceUnavailable, match="every device of the pool"), \
                pool.lease([A, B], "z"):
            pass
    with pool.lease([A], "again") as three:  # released at the end of the block
        assert three.slot == A


def test_a_waiting_holder_gets_the_device_when_it_is_freed(tmp_path: Path) -> None:
    pool = DevicePool("http://appium", lock_dir=tmp_path, wait=5, poll=0.02)
    order: list[str] = []

    def second() -> None:
        with pool.lease([A], "second"):
            order.append("second")

    with pool.lease([A], "first"):
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.3)
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]


def test_leases_hold_across_processes(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from harness.devices.pool import DevicePool, DeviceSlot\n"
        f"pool = DevicePool('http://appium', lock_dir=Path({str(tmp_path)!r}))\n"
        "with pool.lease([DeviceSlot(emulator='emu-a')], 'other') as l:\n"
        "    print(l.system_port, flush=True)\n"
        "    sys.stdin.readline()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        other_port = int(proc.stdout.readline())
        pool = DevicePool("http://appium", lock_dir=tmp_path, wait=0.3, poll=0.05)
        with pool.lease([A, B], "here") as mine:
            assert mine.slot == B and mine.system_port != other_port
        proc.stdin.write("\n")
        proc.stdin.flush()
    finally:
        proc.wait(10)


def test_pinned_system_port_and_farm(tmp_path: Path) -> None:
    pool = DevicePool("http://appium", lock_dir=tmp_path)
    with pool.lease([DeviceSlot(udid="X", system_port=8300)], "p") as lease:
        assert lease.system_port == 8300
    with pool.lease([], "farm") as lease:  # a farm allocates devices itself
        assert lease.system_port is None and lease.slot.label == "farm"
