"""The API load benchmark's CPU accounting: who used the machine during a phase.

The whole benchmark needs a million-entry PostgreSQL database and minutes; what is checked here
is the arithmetic that turns two /proc samples into the table's "CPU (cores)" column, where time
the hypervisor stole is told apart from other processes' work.
"""

from __future__ import annotations

import pytest
from bench.api_load import CpuSample, cpu_use


def test_a_phase_splits_the_machine_between_the_parties_and_the_hosts_steal() -> None:
    before = CpuSample(at=100.0, busy=50.0, steal=3.0, client=1.0, server=10.0, database=5.0)
    after = CpuSample(at=110.0, busy=65.0, steal=4.0, client=2.0, server=19.0, database=7.0)

    use = cpu_use(before, after)

    assert (use.client, use.server, use.database) == pytest.approx((0.1, 0.9, 0.2))
    assert use.steal == pytest.approx(0.1)
    assert use.total == pytest.approx(1.5)
    assert use.other == pytest.approx(0.2)  # 1.5 busy - 0.1 stolen - 1.2 of the parties
    assert "stolen by the host 0.10" in use.text()


def test_other_never_goes_below_zero_when_the_samples_disagree_a_little() -> None:
    before = CpuSample(at=0.0, busy=0.0, steal=0.0, client=0.0, server=0.0, database=0.0)
    after = CpuSample(at=1.0, busy=1.0, steal=0.0, client=0.0, server=1.05, database=0.0)
    assert cpu_use(before, after).other == 0.0
