"""How bench/bench.py judges issue 11's targets from one run's measurements."""

from bench.bench import ISSUE_REFERENCE, Results, Row


def _settle(*rows: Row, reference: float, pg_hot: float = 2000.0) -> Results:
    results = Results(rows=list(rows))
    results.settle({"reference": reference, "pg_hot": pg_hot})
    return results


def test_ratio_targets_compare_with_the_same_runs_base():
    orders = Row("orders", 160.0, share=0.20, base="reference")
    hot = Row("hot", 190.0, share=0.10, base="pg_hot")

    _settle(orders, hot, reference=1000.0, pg_hot=2000.0)

    assert (orders.ok, orders.ratio) == (False, "16.0%")
    assert (hot.ok, hot.ratio) == (False, "9.5% of pg hot row")


def test_absolute_figures_are_judged_at_this_runs_scale():
    half = ISSUE_REFERENCE / 2  # a machine at half the issue's speed
    slow_enough = Row("many", 210.0, "conf/s", min_rate=400)
    too_slow = Row("many", 190.0, "conf/s", min_rate=400)
    p99 = Row("products", 400.0, p99_ms=290.0, share=0.35, base="reference")
    p99.max_p99_ms = 150
    tail_too_long = Row("products", 600.0, p99_ms=310.0, max_p99_ms=150)

    _settle(slow_enough, too_slow, p99, tail_too_long, reference=half)

    assert slow_enough.ok is True
    assert "as written: not met" in slow_enough.note
    assert ">= 200/s" in slow_enough.target
    assert too_slow.ok is False
    assert p99.ok is False  # the tail holds (290 < 300 ms), the ratio does not
    assert "p99 < 300 ms" in p99.target
    assert tail_too_long.ok is False


def test_a_failed_check_beside_the_target_fails_the_row():
    many = Row("many", 900.0, "conf/s", min_rate=400, also_ok=False)

    _settle(many, reference=ISSUE_REFERENCE)

    assert many.ok is False
    assert "as written: met" in many.note
