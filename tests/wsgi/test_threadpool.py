"""The lazy-waking thread pool (wsgiserver.wsgi.threadpool.ThreadPool)."""

import threading
import time

from wsgiserver.wsgi.threadpool import STALL_SECONDS, ThreadPool


def wait_until_parked(pool: ThreadPool) -> None:
    deadline = time.monotonic() + 10
    while len(pool._parked) < pool.size and time.monotonic() < deadline:
        time.sleep(0.001)
    assert len(pool._parked) == pool.size


def test_jobs_run_and_shutdown_waits_for_queued_ones():
    pool = ThreadPool(2)
    done = []
    for i in range(50):
        pool.submit(done.append, i)
    pool.shutdown(timeout=10)
    assert sorted(done) == list(range(50))


def test_a_stalled_job_gets_a_second_thread_when_the_loop_pokes():
    pool = ThreadPool(2)
    release, second_ran = threading.Event(), threading.Event()
    pool.submit(release.wait, 10)           # occupies the only awake thread
    pool.submit(second_ran.set)              # queued behind it
    deadline = time.monotonic() + 10
    while not second_ran.is_set() and time.monotonic() < deadline:
        pool.poke(time.monotonic() + STALL_SECONDS * 2)   # what the event loop does
        second_ran.wait(0.01)
    assert second_ran.is_set()
    assert not release.is_set()              # ... while the first job is still blocked
    release.set()
    pool.shutdown(timeout=10)


def test_poke_asks_for_a_quick_recheck_only_while_jobs_wait():
    pool = ThreadPool(2)
    wait_until_parked(pool)
    assert pool.poke(time.monotonic()) == 1.0
    release, started = threading.Event(), threading.Event()
    pool.submit(lambda: started.set() or release.wait(10))
    assert started.wait(10)
    pool.submit(lambda: None)
    assert pool.poke(time.monotonic()) == STALL_SECONDS  # a thread is left to wake
    release.set()
    pool.shutdown(timeout=10)


def test_an_exception_in_a_job_does_not_kill_the_thread():
    pool = ThreadPool(1)
    done = threading.Event()
    pool.submit(lambda: 1 / 0)
    pool.submit(done.set)
    assert done.wait(10)
    pool.shutdown(timeout=10)


def test_a_burst_of_jobs_wakes_one_thread_not_all():
    pool = ThreadPool(4)
    wait_until_parked(pool)  # as when the first request comes: all threads asleep
    started = threading.Event()
    release = threading.Event()

    def job():
        started.set()
        release.wait(10)

    for _ in range(5):  # a burst, as the event loop submits after one epoll round
        pool.submit(job)
    assert started.wait(10)
    with pool._lock:
        # One thread runs; nobody else was woken for the four queued jobs
        # (only the event loop's poke() would add a thread, after a stall).
        assert (pool._running, len(pool._parked), len(pool._jobs)) == (1, 3, 4)
    release.set()
    pool.shutdown(timeout=10)


def test_submit_after_an_idle_spell_still_wakes_a_thread():
    pool = ThreadPool(2)
    for _ in range(20):
        done = threading.Event()
        pool.submit(done.set)
        assert done.wait(10)
    pool.shutdown(timeout=10)


def test_no_job_is_stranded_when_threads_park_as_jobs_arrive():
    # Without poke(), a lost wake-up would leave a job queued forever: submit
    # races the running thread's decision to park, many times over.
    pool = ThreadPool(2)
    for round_ in range(300):
        done = threading.Event()
        pool.submit(lambda: None)
        if round_ % 3 == 0:
            time.sleep(0.0001 * (round_ % 7))  # let the thread reach its park check
        pool.submit(done.set)
        assert done.wait(10), f"job stranded in round {round_}"
    pool.shutdown(timeout=10)


def test_the_stall_clock_starts_when_jobs_are_first_seen_waiting():
    pool = ThreadPool(2)
    wait_until_parked(pool)
    release, started, second_ran = threading.Event(), threading.Event(), threading.Event()
    pool.submit(lambda: started.set() or release.wait(10))
    assert started.wait(10)
    now = time.monotonic()
    assert pool.poke(now) == 1.0                # one job running, none waiting
    pool.submit(second_ran.set)                 # comes after a long quiet spell
    later = now + 60
    pool.poke(later)                            # first sight of a waiting job: no stall yet
    with pool._lock:
        assert (pool._running, len(pool._parked)) == (1, 1)
    pool.poke(later + STALL_SECONDS)            # no progress for STALL_SECONDS: wake one
    assert second_ran.wait(10)
    release.set()
    pool.shutdown(timeout=10)
