"""environment.stats: the running totals of this process (module settings kept for compatibility)."""
import _endure

CSV_STATS_INTERVAL_SEC = 1
CSV_STATS_FLUSH_INTERVAL_SEC = 10
CONSOLE_STATS_INTERVAL_SEC = 2
HISTORY_STATS_INTERVAL_SEC = 5
CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW = 10
PERCENTILES_TO_REPORT = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0]


class StatsTotal:
    """Every request recorded in this process since the start (or --reset-stats), successes and
    failures; readable in quitting listeners too (after the test's thread ended)."""

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
        n, f = _endure.totals()[:2]
        return f / n if n else 0.0

    @property
    def avg_response_time(self):
        t = _endure.totals()
        return t[2] / t[0] / 1000.0 if t[0] else 0.0

    @property
    def min_response_time(self):
        t = _endure.totals()
        return t[3] / 1000.0 if t[0] else None

    @property
    def max_response_time(self):
        return _endure.totals()[4] / 1000.0

    @property
    def median_response_time(self):
        return self.get_response_time_percentile(0.5)

    def get_response_time_percentile(self, percent):
        """The response time (ms) below which `percent` (0.0-1.0) of the requests fall."""
        return _endure.total_percentile(percent)

    def get_current_response_time_percentile(self, percent):
        return self.get_response_time_percentile(percent)

    @property
    def total_content_length(self):
        return _endure.totals()[5]

    @property
    def avg_content_length(self):
        t = _endure.totals()
        return t[5] / t[0] if t[0] else 0.0

    @property
    def total_rps(self):
        t = _endure.totals()
        return t[0] / t[6] if t[6] > 0 else 0.0

    @property
    def total_fail_per_sec(self):
        t = _endure.totals()
        return t[1] / t[6] if t[6] > 0 else 0.0

    current_rps = total_rps
    current_fail_per_sec = total_fail_per_sec


class RequestStats:
    def __init__(self):
        self.total = StatsTotal()
        self.entries = {}
        self.errors = {}
