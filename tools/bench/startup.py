"""What a cold start costs, and what is shipped: imports in fresh interpreters, and the zip.

Import time is measured in subprocesses, never in the bench's own process, where everything is
imported already: `import app` + chalicelib.service.get() + the dynamodb, sns and kms clients,
against `import boto3` + one dynamodb client, the medians of alternating runs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

from tools.local_aws import FAKE_CREDENTIALS

ROOT = Path(__file__).resolve().parents[2]
APP_IMPORT = """
import json, time
t0 = time.perf_counter()
marks = {}
import app
marks["import_app"] = time.perf_counter()
from chalicelib import service
from chalicelib.adapters import aws
service.get()
marks["service_get"] = time.perf_counter()
for name in ("dynamodb", "sns", "kms"):
    aws.client(name)
    marks["client_" + name] = time.perf_counter()
print(json.dumps({k: (v - t0) * 1000 for k, v in marks.items()}))
"""
BOTO3_IMPORT = """
import json, time
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
boto3.session.Session().client("dynamodb")
t2 = time.perf_counter()
print(json.dumps({"import_boto3": (t1 - t0) * 1000, "client_dynamodb": (t2 - t0) * 1000}))
"""
# Cumulative import time of these, where the app first imports them (-X importtime).
IMPORT_WATCH = ("app", "chalice", "jwt", "cryptography.x509", "urllib.request", "boto3")
IMPORT_WATCH += ("chalicelib.service",)


def aws_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    return env | FAKE_CREDENTIALS


def run_imports(runs: int, base_url: str) -> dict:
    """Median of `runs` fresh interpreters each, alternating, after one warm-up of each that
    fills a private bytecode cache (so both read compiled modules, none are written)."""
    cache = tempfile.mkdtemp(prefix="bench-pycache-")
    env = aws_environment() | {"PYTHONPYCACHEPREFIX": cache, "PUBLIC_BASE_URL": base_url}
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def once(code: str, *flags: str) -> tuple[dict[str, float], str]:
        argv = [sys.executable, *flags, "-c", code]
        done = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr

    try:
        pairs = [(once(APP_IMPORT)[0], once(BOTO3_IMPORT)[0]) for _ in range(runs + 1)][1:]
        trace = once(APP_IMPORT, "-X", "importtime")[1]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    by_package: Counter = Counter()
    cumulative: dict[str, float] = {}
    for line in trace.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (p.strip() for p in line[len("import time:") :].split("|"))
        by_package[name.split(".")[0]] += int(self_us)
        if name in IMPORT_WATCH and name not in cumulative:
            cumulative[name] = round(int(cumulative_us) / 1000, 1)
    app_runs, boto3_runs = [a for a, _ in pairs], [b for _, b in pairs]
    app_ms, boto3_ms = [r[list(r)[-1]] for r in app_runs], [r[list(r)[-1]] for r in boto3_runs]
    app_median, boto3_median = statistics.median(app_ms), statistics.median(boto3_ms)

    def by_step(runs: list[dict]) -> dict:
        """What each step added, from the median elapsed ms at each mark."""
        names = list(runs[0])
        at = {k: statistics.median(r[k] for r in runs) for k in names}
        return {k: round(at[k] - (at[names[i - 1]] if i else 0.0), 1) for i, k in enumerate(names)}

    return {
        "import_ms": round(app_median, 1),
        "boto3_import_ms": round(boto3_median, 1),
        "import_ratio": round(app_median / boto3_median, 3),
        "import_ms_min": round(min(app_ms), 1),
        "boto3_import_ms_min": round(min(boto3_ms), 1),
        "import_ratio_of_minimums": round(min(app_ms) / min(boto3_ms), 3),
        "import_ms_runs": [round(x, 1) for x in app_ms],
        "boto3_import_ms_runs": [round(x, 1) for x in boto3_ms],
        "import_ms_by_step": by_step(app_runs),
        "boto3_import_ms_by_step": by_step(boto3_runs),
        "import_self_ms_by_package": {k: round(v / 1000, 1) for k, v in by_package.most_common(8)},
        "import_cumulative_ms_of": cumulative,
    }


class PackageJob:
    """`chalice package --stage prod` on a copy of the project (so .chalice/deployments is not
    touched), in the background while the sign-ins run."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-package-"))
        self.proc: subprocess.Popen | None = None
        chalice = Path(sys.executable).parent / "chalice"
        self.error = None if chalice.exists() else f"{chalice} not found"
        if self.error:
            return
        project = self.tmp / "project"
        (project / ".chalice").mkdir(parents=True)
        for name in ("app.py", "requirements.txt", ".chalice/config.json"):
            shutil.copy2(ROOT / name, project / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
        self.started = time.perf_counter()
        argv = [str(chalice), "package", "--stage", "prod", str(self.tmp / "out")]
        self.proc = subprocess.Popen(
            argv, cwd=project, env=aws_environment(), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def finish(self, timeout: float = 240) -> dict:
        try:
            if self.proc is None:
                return {"package_bytes": None, "package_error": self.error}
            try:
                output, _ = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
                return {"package_bytes": None, "package_error": f"timed out after {timeout}s"}
            archive = self.tmp / "out" / "deployment.zip"
            if self.proc.returncode != 0 or not archive.exists():
                tail = " | ".join(output.strip().splitlines()[-3:])
                error = f"chalice package exited {self.proc.returncode}: {tail}"
                return {"package_bytes": None, "package_error": error}
            return self._describe(archive, time.perf_counter() - self.started)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _describe(archive: Path, seconds: float) -> dict:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
        tops: Counter = Counter()
        for info in infos:
            tops[info.filename.split("/")[0]] += info.compress_size
        sam = archive.parent / "sam.json"
        function = (
            json.loads(sam.read_text())["Resources"].get("APIHandler", {}) if sam.exists() else {}
        )
        return {
            "package_bytes": archive.stat().st_size,
            "package_files": len(infos),
            "package_unzipped_bytes": sum(i.file_size for i in infos),
            "package_biggest_entries": [
                {"name": i.filename, "zipped": i.compress_size, "unzipped": i.file_size}
                for i in sorted(infos, key=lambda i: i.compress_size, reverse=True)[:5]
            ],
            "package_bytes_by_top_level": dict(tops.most_common(6)),
            "package_architectures": function.get("Properties", {}).get("Architectures"),
            "package_has_pyc": any(i.filename.endswith(".pyc") for i in infos),
            "package_seconds": round(seconds, 1),
        }
