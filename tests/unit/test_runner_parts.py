"""The runner's small shared parts: the pause between submissions and the circuit breaker."""

from __future__ import annotations

import threading
import time
import zipfile

from rpa.runner import CircuitBreaker, RateLimiter, scrub_trace


def test_the_rate_limiter_keeps_the_pause_between_two_submissions_across_threads():
    limiter, stop, times = RateLimiter(0.2), threading.Event(), []

    def submit():
        limiter.wait(stop)
        times.append(time.monotonic())

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    assert all(b - a >= 0.19 for a, b in zip(times, times[1:]))


def test_the_circuit_breaker_trips_after_n_failures_in_a_row_and_a_success_resets_it():
    breaker = CircuitBreaker(3)
    assert not breaker.failure() and not breaker.failure()
    breaker.success()
    assert not breaker.failure() and not breaker.failure()
    assert breaker.failure() and breaker.tripped


def test_a_trace_is_rewritten_with_id_numbers_masked_and_the_password_blanked(tmp_path):
    path = tmp_path / "row-3.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("trace.network", '{"idNumber":"37030320020828589X","pw":"Dzxy@2021"}')
        z.writestr("resources/shot.png", b"\x89PNG\r\n370303200208285891")
    scrub_trace(path, ("Dzxy@2021",))
    with zipfile.ZipFile(path) as z:
        text = z.read("trace.network").decode()
        assert "3703**********589X" in text and "37030320020828589X" not in text and "Dzxy@2021" not in text
        assert z.read("resources/shot.png").endswith(b"370303200208285891")  # images untouched
    assert (path.stat().st_mode & 0o777) == 0o600
