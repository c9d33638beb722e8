"""How bench/bench.py judges its targets from one run's interleaved rounds."""

import pytest

from bench.bench import BASE, CpuMeter, Row, Run, interleave, parse_cpu_ticks, schedule


def _row(rates, bases, share=0.35):
    """A figure measured in rounds, each between bases[i] and bases[i + 1]."""
    base_runs = [Run(rate=rate) for rate in bases]
    return Row(
        "figure",
        runs=[Run(rate=rate) for rate in rates],
        around=[(base_runs[i], base_runs[i + 1]) for i in range(len(rates))],
        share=share,
        base_name="reference",
    )


def test_each_round_is_judged_against_the_base_runs_around_it():
    # The machine halves its speed for the second round, base and store alike.
    row = _row([400.0, 200.0, 380.0], [1000.0, 500.0, 500.0, 1000.0])

    assert row.round_ratios() == [400 / 750, 200 / 500, 380 / 750]
    assert row.ratio == pytest.approx(380 / 750)  # the median round
    assert row.ok is True


def test_the_spread_is_the_lowest_and_highest_round():
    row = _row([300.0, 390.0, 360.0], [1000.0, 1000.0, 1200.0, 800.0])

    low, high = row.ratio_spread

    assert (low, high) == (pytest.approx(300 / 1000), pytest.approx(360 / 1000))
    assert low <= row.ratio <= high
    assert row.spread == (300.0, 390.0)
    assert row.rate == 360.0


def test_a_figure_under_its_share_of_the_base_fails():
    orders = _row([160.0, 170.0, 150.0], [800.0] * 4, share=0.20)
    hot = _row([190.0], [2000.0, 2000.0], share=0.10)

    assert (orders.ok, round(orders.ratio, 3)) == (True, 0.2)
    assert (hot.ok, hot.ratio) == (False, 0.095)


def test_a_failed_check_beside_the_ratio_fails_the_row():
    row = _row([500.0], [1000.0, 1000.0], share=0.10)
    row.checks_ok = False

    assert row.ratio == 0.5
    assert row.ok is False


def test_a_figure_whose_base_was_not_measured_is_not_judged():
    row = Row("products", runs=[Run(rate=400.0)], share=0.35)

    assert row.ratio is None
    assert row.ok is None


def test_a_comparison_row_has_a_ratio_but_no_verdict():
    row = _row([400.0], [1000.0, 1000.0], share=None)

    assert row.ratio == 0.4
    assert row.ok is None


def test_the_cpu_ratio_compares_server_and_database_time_per_request():
    row = _row([250.0], [1000.0, 1000.0])
    row.runs[0].cpu_ms, row.runs[0].pg_cpu_ms = 4.0, 1.0
    for base in row.base_runs():
        base.cpu_ms, base.pg_cpu_ms = 1.2, 0.3

    assert row.cpu_ratio == pytest.approx(1.5 / 5.0)


def test_every_figure_run_sits_between_two_base_runs():
    order = schedule(["products", "orders"], 3)

    assert order[0] == order[-1] == BASE
    assert order.count("products") == order.count("orders") == 3
    for index, step in enumerate(order):
        if step != BASE:
            assert order[index - 1] == order[index + 1] == BASE


def test_interleave_gives_each_round_the_base_runs_around_it():
    log = []

    def base():
        log.append("base")
        return Run(rate=float(len(log)))

    def figure():
        log.append("figure")
        return Run(rate=100.0)

    row = Row("figure", share=0.1)
    bases = interleave({"figure": row}, base, {"figure": figure}, 3)

    assert log == ["base", "figure"] * 3 + ["base"]
    assert [(a.rate, b.rate) for a, b in row.around] == [(1, 3), (3, 5), (5, 7)]
    assert len(bases) == 4


def test_cpu_ticks_are_read_past_a_command_name_with_spaces():
    fields = ["S"] + ["0"] * 10 + ["120", "30"] + ["0"] * 30
    stat = "4242 (gunicorn: worker (x)) " + " ".join(fields)

    assert parse_cpu_ticks(stat) == 150


def _snapshot(server, pg, children=0.0, machine=0.0, wall=0.0):
    return {
        "server": server,
        "pg": pg,
        "children": children,
        "machine": machine,
        "wall": wall,
    }


def test_cpu_used_counts_the_servers_and_the_databases_processes():
    before = _snapshot({1: 1.0, 2: 5.0}, {10: 2.0}, children=1.0, machine=10.0)
    after = _snapshot(
        {1: 1.5, 2: 9.0}, {10: 3.0, 11: 0.5}, children=2.0, machine=20.0, wall=2.0
    )

    used = CpuMeter.used(before, after)

    assert used["server"] == pytest.approx(4.5)
    assert used["pg"] == pytest.approx(1.5)  # a backend opened meanwhile counts
    # 10 s busy on the machine, 7 of them ours (server, backends, wrk): 1.5 cores.
    assert used["others"] == pytest.approx(1.5)


def test_server_cpu_is_unknown_when_a_worker_was_replaced_during_the_run():
    before = _snapshot({1: 1.0, 2: 5.0}, {})
    after = _snapshot({1: 1.5, 3: 0.5}, {}, wall=1.0)

    assert CpuMeter.used(before, after)["server"] is None
