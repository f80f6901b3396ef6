"""The one entry point for people and CI: python build.py {test,serve,wheel,bench,reliability}.

Every command first makes sure a fresh machine has what it needs (a venv with the
pinned test dependencies, node_modules from the lockfile, Debian's Chromium), so
the README's two commands work on a new checkout exactly as typed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from pysession.testing._server import (
    CROSS_ORIGIN_ISOLATION,
    DEFAULT_CHROMIUM,
    PAGE_BUNDLE_BUDGET_BYTES,
    StaticServer,
    chromium_path,
)
from pysession.testing._wheel import PAGE_BUNDLE, WHEEL_PREFIX, write_page_bundle

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
DIST = ROOT / "dist"
PYODIDE = ROOT / "node_modules" / "pyodide"


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=True)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """A venv with the pinned test dependencies and pysession installed editable."""
    requirements = ROOT / "requirements-test.txt"
    stamp = VENV / ".requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and venv_python().exists():
        return
    log("creating .venv with the pinned test dependencies")
    venv.create(VENV, with_pip=True, clear=True)
    quiet = ["--quiet", "--disable-pip-version-check"]
    run(venv_python(), "-m", "pip", "install", *quiet, "-r", requirements)
    run(venv_python(), "-m", "pip", "install", *quiet, "--no-deps", "--no-build-isolation", "-e", ROOT)
    stamp.write_text(wanted)


def ensure_node_modules() -> None:
    """Pyodide and PyScript, and the tests' Canton dApp SDK and esbuild, exactly as package-lock.json pins them."""
    lock = ROOT / "package-lock.json"
    stamp = ROOT / "node_modules" / ".lock.sha256"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    log("installing node_modules from package-lock.json (npm ci)")
    run("npm", "ci", "--no-audit", "--no-fund")
    stamp.write_text(wanted)


def ensure_chromium() -> str:
    """Debian's Chromium; a browser download by a test tool is never attempted."""
    path = chromium_path()
    if Path(path).exists():
        return path
    if path != DEFAULT_CHROMIUM:
        sys.exit(f"PYSESSION_CHROMIUM points at {path}, which does not exist")
    log("installing Chromium from Debian (apt-get install chromium)")
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    run(*apt, "update", "-qq")
    run(*apt, "install", "-y", "-qq", "chromium", env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return path


def build_wheel() -> Path:
    """dist/: the wheel, the sdist and the page bundle pysession.zip; the bundle's size against its budget."""
    ensure_venv()
    ensure_node_modules()
    DIST.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DIST) as scratch:
        run(venv_python(), "-m", "hatchling", "build", "-t", "wheel", "-t", "sdist", "-d", scratch)
        built = next(Path(scratch).glob(f"{WHEEL_PREFIX}-*-py3-none-any.whl"))
        sdist = next(Path(scratch).glob(f"{WHEEL_PREFIX}-*.tar.gz"))
        bundle = write_page_bundle(built, Path(scratch) / PAGE_BUNDLE, PYODIDE)
        # Replaced in place, never deleted first: a running test server keeps serving a whole file.
        os.replace(bundle, DIST / PAGE_BUNDLE)
        os.replace(sdist, DIST / sdist.name)
        wheel = DIST / built.name
        os.replace(built, wheel)
    log(f"{wheel.relative_to(ROOT)}: {wheel.stat().st_size / 1024:.1f} KB (what pip installs: runtime + pytest kit)")
    log(f"dist/{sdist.name}: the sources the wheel is built from")
    size = (DIST / PAGE_BUNDLE).stat().st_size
    verdict = "within" if size <= PAGE_BUNDLE_BUDGET_BYTES else "OVER"
    budget = PAGE_BUNDLE_BUDGET_BYTES // 1024
    log(f"dist/{PAGE_BUNDLE}: {size / 1024:.1f} KB (what a page loads; {verdict} the {budget} KB budget)")
    return wheel


def browser_env(wheel: Path) -> dict[str, str]:
    return {**os.environ, "PYSESSION_CHROMIUM": ensure_chromium(), "PYSESSION_WHEEL": str(wheel)}


def prepare_browser() -> dict[str, str]:
    return browser_env(build_wheel())


def cmd_wheel(_: argparse.Namespace) -> None:
    build_wheel()


def cmd_serve(args: argparse.Namespace) -> None:
    """The demo (index.html, worker.html) and the plain Pyodide app, served from the checkout on 127.0.0.1 only.

    Cross-origin isolated, as the worker page needs.
    """
    build_wheel()
    try:
        server = StaticServer(ROOT, port=args.port, headers=CROSS_ORIGIN_ISOLATION)
    except OSError as error:
        sys.exit(f"[build] cannot listen on 127.0.0.1:{args.port} ({error.strerror}); try --port {args.port + 1}")
    with server:
        log(f"serving the demo at {server.url}/ (Ctrl-C to stop)")
        log(f"the same demo with its Python in a PyScript worker is at {server.url}/worker.html")
        log(f"the plain Pyodide app is at {server.url}/web/pyodide-app/")
        try:
            server.wait()
        except KeyboardInterrupt:
            pass


def cmd_test(args: argparse.Namespace) -> None:
    env = prepare_browser()
    pytest = [venv_python(), "-m", "pytest", *args.pytest_args]
    log("ruff (pyproject.toml's rules)")
    run(venv_python(), "-m", "ruff", "check", ".", env=env)
    log("mypy: --strict on pysession/ and tests/typing/ (what a dApp sees), the default level on tests/core/")
    run(venv_python(), "-m", "mypy", "--strict", "pysession", "tests/typing", env=env)
    run(venv_python(), "-m", "mypy", "tests/core", env=env)
    log("CPython suite")
    run(*pytest, "tests/core", env=env)
    log("browser suite (Chromium + Pyodide)")
    run(*pytest, "tests/browser", env=env)


def cmd_bench(args: argparse.Namespace) -> None:
    env = prepare_browser()
    quick = ["--quick"] if args.quick else []
    run(venv_python(), ROOT / "bench" / "run.py", "--wheel", env["PYSESSION_WHEEL"], *quick, env=env)


RELIABILITY_CHECKS = (
    "tests/browser/test_faults.py",
    "tests/browser/test_fuzz.py",
    "tests/browser/test_load.py",
    "tests/browser/test_security.py",
    "tests/browser/test_key_race.py",
    "tests/browser/test_proxy_hygiene.py",
)


# A busy core, for as long as the process that started it lives (however that one ends).
SPIN = "import os, sys\nwhile os.getppid() == int(sys.argv[1]): pass"


def cmd_reliability(args: argparse.Namespace) -> None:
    """Faults, fuzz, the key race and leaks at full counts, N times: each run's figures, then how many failed.

    With `--busy`, one CPU-bound process per core runs beside the checks (a busy
    machine, as a user's laptop often is). Each run's output is kept in dist/.
    """
    env = prepare_browser()
    env |= {"PYSESSION_FULL_COUNTS": "1", "PYSESSION_KEY_RACE_TRIALS": "20", "PYTHONUNBUFFERED": "1"}
    sys.path.insert(0, str(ROOT / "tests"))
    from reliability_report import REPORT_ENV, summary_lines

    busy_cores = (os.cpu_count() or 1) if args.busy else 0
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN, str(os.getpid())]) for _ in range(busy_cores)]
    failed = []
    try:
        for number in range(1, args.repeat + 1):
            name = "reliability" if args.repeat == 1 else f"reliability-{number}"
            report, output = DIST / f"{name}.jsonl", DIST / f"{name}.log"
            report.unlink(missing_ok=True)
            env[REPORT_ENV] = str(report)
            log(f"run {number} of {args.repeat}" + (f" beside {busy_cores} busy processes" if busy_cores else ""))
            returncode = run_teed(
                [venv_python(), "-m", "pytest", "-q", "tests/core/test_properties.py", *RELIABILITY_CHECKS], output, env
            )
            # The figures of every check that ran, also (and above all) when one failed.
            verdict = "passed" if returncode == 0 else f"FAILED (pytest exit code {returncode})"
            log(f"run {number} of {args.repeat} {verdict}; figures at full counts ({report.relative_to(ROOT)}):")
            for line in summary_lines(report):
                print(line)
            if returncode:
                failed.append(number)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    if args.repeat > 1:
        which = f" (runs {', '.join(map(str, failed))})" if failed else ""
        log(f"{len(failed)} of {args.repeat} runs failed{which}")
    if failed:
        sys.exit("reliability checks FAILED; the figures above are what ran, the output is in dist/")


def run_teed(command: list[str | Path], output: Path, env: dict[str, str]) -> int:
    """Run command, its output both shown and written to output; its exit code."""
    with output.open("w", encoding="utf-8") as kept:
        process = subprocess.Popen(
            [str(a) for a in command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for line in process.stdout:
            sys.stdout.write(line)
            kept.write(line)
        return process.wait()


def positive(text: str) -> int:
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(prog="python build.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    test = commands.add_parser("test", help="run the whole test suite (CPython, then Chromium)")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest")
    test.set_defaults(func=cmd_test)
    wheel = commands.add_parser("wheel", help="build the wheel, the sdist and the page bundle into dist/")
    wheel.set_defaults(func=cmd_wheel)
    bench = commands.add_parser("bench", help="pysession against raw JS and the floor, in Chromium")
    bench.add_argument("--quick", action="store_true", help="tiny repetition counts (checks that it runs)")
    bench.set_defaults(func=cmd_bench)
    reliability = commands.add_parser("reliability", help="fault, fuzz, load and leak checks at full counts")
    reliability.add_argument("--repeat", type=positive, default=1, metavar="N", help="run the checks N times")
    reliability.add_argument("--busy", action="store_true", help="with one busy process per core beside the checks")
    reliability.set_defaults(func=cmd_reliability)
    serve = commands.add_parser("serve", help="build the wheel and serve the demo at http://127.0.0.1:8000")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    args = parser.parse_args()
    try:
        args.func(args)
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)


if __name__ == "__main__":
    main()
