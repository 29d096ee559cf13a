"""A demo report rendered through a real standalone Spark cluster (and Spark Connect) on 127.0.0.1 gives
every artifact number of the DuckDB run.

The master and worker are pyspark's own classes started with ``spark-class``; the fixture stops them
(their whole process groups) also when a test fails. Floats are compared with rtol 1e-9: Spark sums a
column in partition order, DuckDB in its own thread order, so a sum of money can differ in the last bits.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.spark, pytest.mark.cluster, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench"
CLIENT, PERIOD = "nordlys", "2026Q3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, seconds: float, what: str, procs) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{what}: a Spark process stopped (exit {p.returncode})")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{what} did not happen within {seconds:.0f} s")


def _stop(procs) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def _spark_env(tmp: Path) -> dict:
    from pyspark.find_spark_home import _find_spark_home

    home = _find_spark_home()
    env = dict(os.environ, SPARK_HOME=home, SPARK_LOCAL_IP="127.0.0.1", SPARK_LOG_DIR=str(tmp / "logs"),
               SPARK_WORKER_DIR=str(tmp / "work"), SPARK_NO_DAEMONIZE="1", PYSPARK_PYTHON=sys.executable)
    return env


def _start(env: dict, args: list[str], log: Path) -> subprocess.Popen:
    out = open(log, "wb")
    try:
        return subprocess.Popen([f"{env['SPARK_HOME']}/bin/spark-class", *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """spark://127.0.0.1:PORT with one worker (1 core, 1 GB); stopped at the end, whatever happened."""
    tmp = tmp_path_factory.mktemp("cluster")
    env = _spark_env(tmp)
    port, ui, wui = _free_port(), _free_port(), _free_port()
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_start(env, ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                                  str(port), "--webui-port", str(ui)], tmp / "master.log"))
        _wait(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True, 120,
              "the master listening", procs)
        procs.append(_start(env, ["org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}",
                                  "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", str(wui)],
                            tmp / "worker.log"))

        def registered() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2) as r:
                return json.load(r).get("aliveworkers", 0) >= 1

        _wait(registered, 120, "the worker registering with the master", procs)
        yield {"master": f"spark://127.0.0.1:{port}", "env": env, "tmp": tmp, "procs": procs}
    finally:
        _stop(procs)
        assert all(p.poll() is not None for p in procs)


def _project(demo_root: Path, target: Path, spark: dict | None) -> Path:
    """A copy of the demo project with one client; with ``spark`` its client.yml uses the pyspark engine."""
    (target / "data").mkdir(parents=True)
    shutil.copyfile(demo_root / "pyproject.toml", target / "pyproject.toml")
    shutil.copytree(demo_root / "data" / CLIENT, target / "data" / CLIENT)
    if spark is not None:
        yml = target / "data" / CLIENT / "client.yml"
        cfg = yaml.safe_load(yml.read_text(encoding="utf-8"))
        cfg.update(engine="pyspark", spark=spark)
        yml.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


def _report(root: Path, env: dict) -> Path:
    tpkit = Path(sys.executable).with_name("tpkit")
    proc = subprocess.run([str(tpkit), "report", CLIENT, "--period", PERIOD, "--force", "--root", str(root)],
                          capture_output=True, text=True, env=dict(env, TPKIT_KEY="test-key-not-secret"),
                          timeout=1500)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return root / "reports" / CLIENT / PERIOD / "artifacts"


def _compare(duck: Path, spark: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from compare_artifacts import compare
    finally:
        sys.path.remove(str(BENCH))
    assert sorted(p.name for p in duck.iterdir()) == sorted(p.name for p in spark.iterdir())
    assert list(duck.glob("*.parquet")), "the DuckDB run wrote no artifact tables"
    problems = compare(duck, spark, rtol=1e-9)
    assert problems == [], "\n".join(problems[:40])


@pytest.fixture(scope="module")
def duckdb_artifacts(demo_root, tmp_path_factory):
    root = _project(demo_root, tmp_path_factory.mktemp("duck"), None)
    return _report(root, dict(os.environ))


def test_a_report_through_a_standalone_cluster_equals_the_duckdb_run(cluster, demo_root, duckdb_artifacts,
                                                                     tmp_path):
    root = _project(demo_root, tmp_path / "proj", {"master": cluster["master"],
                                                    "conf": {"spark.executor.memory": "768m",
                                                             "spark.sql.shuffle.partitions": "2"}})
    spark = _report(root, cluster["env"])
    _compare(duckdb_artifacts, spark)
    # the work ran on the cluster: the worker started executors for the report's application
    assert any((cluster["tmp"] / "work").glob("app-*"))


@pytest.mark.skipif(importlib.util.find_spec("grpc") is None,
                    reason="the Spark Connect client needs grpcio (pip install 'pyspark[connect]')")
def test_a_report_through_spark_connect_equals_the_duckdb_run(cluster, demo_root, duckdb_artifacts, tmp_path):
    env = cluster["env"]
    port = _free_port()
    server = _start(env, ["org.apache.spark.deploy.SparkSubmit", "--class",
                          "org.apache.spark.sql.connect.service.SparkConnectServer", "--master", cluster["master"],
                          "--conf", f"spark.connect.grpc.binding.port={port}",
                          "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
                          "--conf", "spark.sql.session.timeZone=UTC", "--conf", "spark.ui.enabled=false",
                          "--conf", "spark.executor.memory=512m", "spark-internal"],
                    cluster["tmp"] / "connect.log")
    try:
        _wait(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True, 180,
              "the Spark Connect server listening", [server])
        root = _project(demo_root, tmp_path / "proj", {"remote": f"sc://127.0.0.1:{port}"})
        _compare(duckdb_artifacts, _report(root, env))
    finally:
        _stop([server])
