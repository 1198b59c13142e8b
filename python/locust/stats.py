"""environment.stats: the running totals of this process (module settings kept for compatibility)."""
import _endure

CSV_STATS_INTERVAL_SEC = 1
CSV_STATS_FLUSH_INTERVAL_SEC = 10
CONSOLE_STATS_INTERVAL_SEC = 2
HISTORY_STATS_INTERVAL_SEC = 5
CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW = 10
PERCENTILES_TO_REPORT = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0]


class StatsTotal:
    """Requests recorded in this process since the start (successes and failures)."""

    name = "Aggregated"
    method = ""

    @property
    def num_requests(self):
        return _endure.totals()[0]

    @property
    def num_failures(self):
        return _endure.totals()[1]

    @property
    def fail_ratio(self):
        n, f, _ = _endure.totals()
        return f / n if n else 0.0

    @property
    def avg_response_time(self):
        n, _, sum_us = _endure.totals()
        return sum_us / n / 1000.0 if n else 0.0


class RequestStats:
    def __init__(self):
        self.total = StatsTotal()
        self.entries = {}
        self.errors = {}
