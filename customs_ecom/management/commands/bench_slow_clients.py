"""Slow clients against gunicorn, directly and behind the production proxy (deploy/nginx.conf).

`python manage.py bench_slow_clients` starts gunicorn (`--workers`, sync, as in production), then
for `--seconds`: `--slow` clients send a request one byte a second while a fast client GETs
`/healthz` every 0.1 s (5 s timeout). First straight to gunicorn, then through nginx running
`deploy/nginx.conf` (its upstream pointed at this gunicorn). Reports the fast client's latency
(p50, p99, max) and its failed requests for each. Needs the `nginx` binary for the second part.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from customs_ecom import stack


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


class Command(BaseCommand):
    help = "Measure what slow clients do to other requests, without and with the proxy."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--slow", type=int, default=2)
        parser.add_argument("--seconds", type=int, default=20)

    def handle(self, *args, **options):
        nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
        if not nginx:
            raise CommandError("nginx is needed for the proxied half: apt-get install nginx-light")
        # /healthz touches no database: an empty SQLite file will do.
        scratch = Path(tempfile.mkdtemp(prefix="bench-slow-")) / "unused.sqlite3"
        env = stack.process_env(f"sqlite:///{scratch}", "memory://")
        port = stack.free_port()
        web = stack.start_gunicorn(env, workers=options["workers"], port=port)
        report = {"gunicorn_sync_workers": options["workers"], "slow_clients": options["slow"]}
        try:
            report["direct"] = self._measure(port, options)
            proxy_port, proxy, folder = self._nginx(nginx, port)
            try:
                report["through_proxy"] = self._measure(proxy_port, options)
            finally:
                proxy.terminate()
                proxy.wait(timeout=10)
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            web.stop()
        self.stdout.write(json.dumps(report, indent=2))

    def _nginx(self, nginx: str, upstream_port: int):
        folder = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        site = (settings.BASE_DIR / "deploy" / "nginx.conf").read_text()
        listen = stack.free_port()
        site = site.replace("server web:8000;", f"server 127.0.0.1:{upstream_port};")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
        (folder / "site.conf").write_text(site)
        (folder / "nginx.conf").write_text(
            f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""
        )
        process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")])
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", listen), timeout=1):
                    return listen, process, folder
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise CommandError(
                        "nginx did not start: " + (folder / "error.log").read_text()
                    ) from None
                time.sleep(0.1)

    def _measure(self, port: int, options) -> dict:
        stop = threading.Event()
        request = (
            b"POST /api/v1/declarations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n" + b"{" * 200
        )

        def slow() -> None:
            while not stop.is_set():
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                        for byte in request:
                            if stop.is_set():
                                return
                            sock.sendall(bytes([byte]))
                            stop.wait(1.0)
                except OSError:
                    stop.wait(0.2)  # closed by the server: come back, as an attacker would

        slow_threads = [threading.Thread(target=slow) for _ in range(options["slow"])]
        for thread in slow_threads:
            thread.start()
        time.sleep(2)  # the slow clients hold their connections
        latencies: list[float] = []
        failures = 0
        deadline = time.monotonic() + options["seconds"]
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    failures += 1
                else:
                    latencies.append(time.monotonic() - started)
            except (OSError, http.client.HTTPException):
                failures += 1
            time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))
        stop.set()
        for thread in slow_threads:
            thread.join()
        return {
            "fast_requests_ok": len(latencies),
            "fast_requests_failed_or_timed_out": failures,
            "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        }
