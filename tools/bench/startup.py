"""What a cold start costs, and what is shipped: imports in fresh interpreters, and the zip.

Import time is measured in subprocesses, never in the bench's own process, where everything is
imported already: `import app` + chalicelib.service.get() + the dynamodb, sns and kms clients,
against `import boto3` + one dynamodb client, the medians of alternating runs.

As shipped (run_shipped_imports): the zip `make package` builds, unzipped, loaded as Lambda loads
it: sys.path is the task root and then the runtime's boto3 (here the venv's boto3 and its
dependencies, nothing else of the venv), no bytecode written (the task root is read-only).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tools import package
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
# What the python3.11 runtime provides: boto3 and what it imports.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
# The first request's needs as Lambda loads the zip, and the same baseline, each with sys.path
# set as Lambda sets it (the interpreter runs with -I -S -B: no site-packages, no writes).
SHIPPED_APP = """
import json, sys, time
t0 = time.perf_counter()
sys.path[:0] = {path!r}
import app
t1 = time.perf_counter()
from chalicelib import service
from chalicelib.adapters import aws
service.get()
aws.client("dynamodb")
t2 = time.perf_counter()
print(json.dumps({{"import_app": (t1 - t0) * 1000, "client_dynamodb": (t2 - t0) * 1000}}))
"""
SHIPPED_BOTO3 = """
import json, sys, time
t0 = time.perf_counter()
sys.path[:0] = {path!r}
import boto3
boto3.session.Session().client("dynamodb")
t1 = time.perf_counter()
print(json.dumps({{"client_dynamodb": (t1 - t0) * 1000}}))
"""


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


SHIPPED_METHOD = (
    "`make package`'s zip built for this machine's architecture, unzipped; fresh `python -I -S -B` "
    "subprocesses with sys.path = [the task root, the venv's boto3 and its dependencies only], "
    "alternating, after one warm-up each: `import app`, chalicelib.service.get() and the "
    "dynamodb client, against `import boto3` and one dynamodb client; ratio of the minimums"
)


def configured_architecture() -> str:
    config = json.loads((ROOT / ".chalice/config.json").read_text())
    return config["stages"]["prod"].get("lambda_architecture", "x86_64")


def host_architecture() -> str | None:
    """This machine's Lambda architecture: a zip for it can be loaded here."""
    return {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(os.uname().machine)


def lambda_runtime(into: Path) -> Path:
    """A directory holding only the runtime's boto3 (links into the venv, with their bytecode)."""
    site = Path(sysconfig.get_paths()["purelib"])
    into.mkdir(parents=True)
    for name in RUNTIME_PACKAGES:
        (into / name).symlink_to(site / name)
    (into / "__pycache__").mkdir()
    for compiled in (site / "__pycache__").glob("six.*.pyc"):
        (into / "__pycache__" / compiled.name).symlink_to(compiled)
    return into


def run_shipped_imports(archive: Path, runs: int, base_url: str) -> dict:
    """The unzipped package loaded as Lambda loads it (see SHIPPED_APP), against boto3 and one
    client the same way: `runs` alternating fresh interpreters each, after one warm-up each;
    the ratio of the minimums, and the medians. Plus one -X importtime run's self time by
    package and the app's biggest cumulative imports."""
    work = Path(tempfile.mkdtemp(prefix="bench-shipped-"))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(work / "task")
        runtime = lambda_runtime(work / "runtime")
        path = [str(work / "task"), str(runtime)]
        env = aws_environment() | {"PUBLIC_BASE_URL": base_url}

        def once(code: str, *flags: str) -> tuple[float, str]:
            argv = [sys.executable, "-I", "-S", "-B", *flags, "-c", code.format(path=path)]
            done = subprocess.run(
                argv, cwd=work, env=env, capture_output=True, text=True, timeout=120, check=True
            )
            return json.loads(done.stdout.strip().splitlines()[-1])["client_dynamodb"], done.stderr

        pairs = [(once(SHIPPED_APP)[0], once(SHIPPED_BOTO3)[0]) for _ in range(runs + 1)][1:]
        trace = once(SHIPPED_APP, "-X", "importtime")[1]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    app_ms, boto3_ms = [a for a, _ in pairs], [b for _, b in pairs]
    by_package, cumulative = read_importtime(trace)
    return {
        "import_ratio_as_shipped": round(min(app_ms) / min(boto3_ms), 3),
        "import_as_shipped_ms_min": round(min(app_ms), 1),
        "import_as_shipped_boto3_ms_min": round(min(boto3_ms), 1),
        "import_as_shipped_ms_median": round(statistics.median(app_ms), 1),
        "import_as_shipped_boto3_ms_median": round(statistics.median(boto3_ms), 1),
        "import_as_shipped_ratio_of_medians": round(
            statistics.median(app_ms) / statistics.median(boto3_ms), 3
        ),
        "import_as_shipped_self_ms_by_package": by_package,
        "import_as_shipped_cumulative_ms_of": cumulative,
    }


def read_importtime(trace: str, top: int = 10) -> tuple[dict, dict]:
    """-X importtime's lines: self ms by top-level package, and the cumulative ms of the
    imports at the first two levels (`import app` and what it imports itself); the biggest."""
    by_package: Counter = Counter()
    cumulative: Counter = Counter()
    for line in trace.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, column = line[len("import time:") :].split("|")
        name = column.strip()
        by_package[name.split(".")[0]] += int(self_us)
        if len(column) - len(column.lstrip()) <= 3:  # "| " then two spaces a level
            cumulative[name] = max(cumulative[name], int(cumulative_us))
    return (
        {k: round(v / 1000, 1) for k, v in by_package.most_common(top)},
        {k: round(v / 1000, 1) for k, v in cumulative.most_common(top)},
    )


class PackageJob:
    """`make package`'s two steps (`chalice package --stage prod`, then tools/package.py) on a
    copy of the project (so .chalice/deployments is not touched), in the background while the
    sign-ins run. `architecture` overrides the prod stage's lambda_architecture."""

    def __init__(self, architecture: str | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-package-"))
        self.proc: subprocess.Popen | None = None
        chalice = Path(sys.executable).parent / "chalice"
        self.error = None if chalice.exists() else f"{chalice} not found"
        if self.error:
            return
        project = self.tmp / "project"
        (project / ".chalice").mkdir(parents=True)
        for name in ("app.py", "requirements.txt"):
            shutil.copy2(ROOT / name, project / name)
        config = json.loads((ROOT / ".chalice/config.json").read_text())
        if architecture:
            config["stages"]["prod"]["lambda_architecture"] = architecture
        (project / ".chalice/config.json").write_text(json.dumps(config))
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
        self.started = time.perf_counter()
        argv = [str(chalice), "package", "--stage", "prod", str(self.tmp / "out")]
        self.proc = subprocess.Popen(
            argv, cwd=project, env=aws_environment(), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def finish(self, timeout: float = 240, measure: Callable[[Path], dict] | None = None) -> dict:
        """The zip's figures; `measure(archive)`'s too, while the zip is still there."""
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
            chalice_bytes = archive.stat().st_size
            archive.write_bytes(
                package.rebuild(archive.read_bytes(), package.architecture(archive.parent))
            )
            figures = self._describe(archive, time.perf_counter() - self.started)
            figures["package_bytes_from_chalice"] = chalice_bytes
            return figures | (measure(archive) if measure else {})
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
                for i in sorted(infos, key=lambda i: i.compress_size, reverse=True)[:8]
            ],
            "package_bytes_by_top_level": dict(tops.most_common(10)),
            "package_architectures": function.get("Properties", {}).get("Architectures"),
            "package_has_pyc": any(i.filename.endswith(".pyc") for i in infos),
            "package_has_py": any(i.filename.endswith(".py") for i in infos),
            "package_seconds": round(seconds, 1),
        }


class Packages:
    """The zip as configured (what Terraform deploys) and, when this machine cannot load that
    one, the same built for this machine, both in the background; then the import as shipped
    from the one this machine can load."""

    def __init__(self) -> None:
        self.configured, self.here = configured_architecture(), host_architecture()
        self.job = PackageJob()
        self.local = PackageJob(self.here) if self.here not in (None, self.configured) else None

    def finish(self, runs: int, base_url: str) -> dict:
        def shipped(archive: Path) -> dict:
            figures = run_shipped_imports(archive, runs, base_url)
            return figures | {"import_as_shipped_architecture": self.here}

        measure = shipped if self.here and self.local is None else None
        figures = self.job.finish(measure=measure)
        figures["package_bytes_by_architecture"] = {self.configured: figures["package_bytes"]}
        if self.local is not None:
            local = self.local.finish(measure=shipped)
            figures |= {k: v for k, v in local.items() if k.startswith("import_")}
            figures["package_bytes_by_architecture"][self.here] = local["package_bytes"]
        if "import_ratio_as_shipped" in figures:
            figures["import_as_shipped_method"] = SHIPPED_METHOD
        return figures
