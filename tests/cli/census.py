"""Census of ordinary command-line mistakes: each must end in one clear stderr line, exit 2, no traceback.

Every case runs ``python -m logicdistill ...`` as a subprocess (the way a user meets it) in a scratch
folder with a scratch ``LOGICDISTILL_HOME`` so nothing touches the real caches. Validation must fail before
any episode runs, so each case should cost about one interpreter start: its budget is CPU seconds
(``cpu_limit``, read from the child's rusage), because wall time on shared cores says more about the
neighbours than about the CLI; ``timeout`` (wall) only catches real hangs.

    python tests/cli/census.py          # prints a table and the count of tracebacks / hangs / wrong codes

``tests/cli/test_census.py`` runs the same cases under pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# Runs the CLI with some modules made unimportable (sys.modules[name] = None makes `import name` raise
# ModuleNotFoundError and find_spec return None), to simulate an install without the [ml] extra.
_BLOCKED_MAIN = (
    "import sys\n"
    "for m in sys.argv[1].split(','): sys.modules[m] = None\n"
    "from logicdistill.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


@dataclass(frozen=True)
class Case:
    """One mistake. ``{d}`` in argv/env values stands for the scratch folder holding the fixture files."""

    name: str
    argv: tuple[str, ...]
    code: int = 2
    expect: str = ""  # a piece of text the error line must contain (case-insensitive)
    env: dict[str, str] = field(default_factory=dict)
    blocked: tuple[str, ...] = ()  # modules to hide (see _BLOCKED_MAIN)
    max_lines: int = 1
    cpu_limit: float = 4.0  # CPU seconds (user + sys); one start-up costs ~0.4 s
    timeout: float = 90.0  # wall seconds before the case counts as hung


@dataclass
class Outcome:
    case: Case
    code: int | None  # None: it hung past its timeout
    seconds: float  # wall
    cpu: float  # user + sys of the child
    stderr: str

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.stderr

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def problems(self) -> list[str]:
        c = self.case
        if self.code is None:
            return [f"hung past {c.timeout:.0f} s"]
        found = []
        if self.cpu > c.cpu_limit:
            found.append(f"{self.cpu:.1f} CPU s, budget {c.cpu_limit:.0f}")
        if self.traceback:
            found.append("traceback")
        if self.code != c.code:
            found.append(f"exit {self.code}, want {c.code}")
        if len(self.lines) > c.max_lines:
            found.append(f"{len(self.lines)} stderr lines, want <= {c.max_lines}")
        if c.expect and c.expect.lower() not in self.stderr.lower():
            found.append(f"stderr lacks {c.expect!r}")
        return found


P = ("eval", "--task", "pursuit", "--policy", "random", "--episodes", "1", "--quiet")
PLAY = ("play", "--task", "pursuit", "--policy", "random")

CASES: list[Case] = [
    # names
    Case("unknown task", ("eval", "--task", "nope"), expect="unknown task"),
    # plugins, teachers, task options
    Case("check-task unknown task", ("check-task", "nope"), expect="unknown task"),
    Case(
        "--plugin that does not import, then its task",
        ("--plugin", "no_such_plugin_module", "eval", "--task", "nope"),
        expect="failed to import",
    ),
    Case("--plugin that does not import, then tasks", ("--plugin", "no_such_plugin_module", "tasks"), expect="import"),
    Case(
        "--teacher recorded:missing folder",
        ("base", "build", "--task", "blackjack", "--teacher", "recorded:{d}/no"),
        expect="is not a folder",
    ),
    Case(
        "--rule-teacher garbage",
        ("eval", "--task", "pursuit", "--policy", "teacher-program", "--rule-teacher", "nonsense", "--episodes", "1"),
        expect="unknown teacher",
    ),
    Case(
        "task option another task lacks",
        ("eval", "--task", "blackjack", "--map", "open"),
        expect="unknown option --map",
    ),
    Case("task option without a value", ("eval", "--task", "pursuit", "--map"), expect="needs a value"),
    Case("unknown policy", ("eval", "--task", "pursuit", "--policy", "nope"), expect="unknown policy"),
    Case("empty policy list", ("eval", "--task", "pursuit", "--policy", ","), expect="no policy"),
    Case("unknown scenario", (*P, "--scenario", "nope"), expect="unknown scenario"),
    Case("unknown evader", (*P, "--evader", "nope"), expect="evader"),
    Case("unknown named map", (*P, "--map", "nope"), expect="unknown map"),
    Case("--scenario missing file", (*P, "--scenario", "{d}/missing.json"), expect="no such file"),
    Case("--map missing file", (*P, "--map", "{d}/missing.txt"), expect="no such file"),
    Case("--map missing file, no folder", (*P, "--map", "missing.txt"), expect="no such file"),
    # the student in use
    Case(
        "student-kd with no kd run",
        ("eval", "--task", "blackjack", "--policy", "student-kd", "--episodes", "1"),
        expect="distill --task blackjack --kind kd",
    ),
    Case("--run latest with no run of yours", (*P[:4], "ld", "--run", "latest"), expect="no run"),
    Case("LOGICDISTILL_RUN missing folder", (*P[:4], "ld"), env={"LOGICDISTILL_RUN": "{d}/gone"}, expect="no such"),
    Case("play --frame without a .png", (*PLAY, "--frame", "2"), expect="--frame"),
    Case("play --frame negative", (*PLAY, "--render", "{d}/x.png", "--frame", "-1"), expect="--frame"),
    Case("eval --traces a folder", (*P, "--traces", "{d}"), expect="directory"),
    Case("missing subcommand arg", ("eval",), expect="--task"),
    Case("no subcommand", (), code=2, max_lines=0),
    Case("unrecognized argument", ("tasks", "--bogus"), expect="unrecognized"),
    # environment arguments
    Case("--env-arg without =", (*P, "--env-arg", "novalue"), expect="KEY=VALUE"),
    Case("--env-arg unknown key", (*P, "--env-arg", "bogus=1"), expect="takes no argument 'bogus'"),
    Case("--env-arg max_steps=0", (*P, "--env-arg", "max_steps=0"), expect="max_steps"),
    Case("--env-arg huge number", (*P, "--env-arg", "max_steps=" + "9" * 5000), expect="max_steps"),
    Case("--env-arg n_pursuers=9999", (*P, "--env-arg", "n_pursuers=9999"), expect="free cells"),
    Case("blackjack given --map", ("eval", "--task", "blackjack", "--policy", "random", "--map", "open")),
    # numbers
    Case("--seed -1", (*P, "--seed", "-1"), expect="0..4294967295"),
    Case("--seed 2**32", (*P, "--seed", str(2**32)), expect="0..4294967295"),
    Case("--seed abc", (*P, "--seed", "abc"), expect="--seed"),
    Case("--seed 1.5", (*P, "--seed", "1.5"), expect="--seed"),
    Case("--episodes 0", (*P[:-2], "0"), expect="1..1000000"),
    Case("--episodes -3", (*P[:-2], "-3"), expect="1..1000000"),
    Case("--episodes 1e23", (*P[:-2], "1e23"), expect="1..1000000"),
    Case("--episodes 10**12", (*P[:-2], str(10**12)), expect="1..1000000"),
    Case("--episodes huge digits", (*P[:-2], "9" * 5000), expect="1..1000000"),
    Case("--seed + episodes past 2**32", (*P[:-2], "2", "--seed", str(2**32 - 1)), expect="seeds up to"),
    Case("play --seed -1", (*PLAY, "--seed", "-1"), expect="0..4294967295"),
    Case("demo --episodes 0", ("demo", "--episodes", "0", "--out", "{d}/demo"), expect="1..1000000"),
    Case("demo --seed -1", ("demo", "--seed", "-1", "--out", "{d}/demo"), expect="0..4294967295"),
    Case("demo --emergency-episodes 0", ("demo", "--emergency-episodes", "0"), expect="1..1000000"),
    Case("distill --seed -1", ("distill", "--task", "pursuit", "--seed", "-1"), expect="0..4294967295"),
    Case("distill --lora-r 0", ("distill", "--task", "pursuit", "--lora-r", "0"), expect="--lora-r"),
    Case("distill --lr nan", ("distill", "--task", "pursuit", "--lr", "nan"), expect="--lr"),
    Case("distill --probe-every -1", ("distill", "--task", "pursuit", "--probe-every", "-1"), expect="--probe-every"),
    Case("distill --length-window -1", ("distill", "--task", "pursuit", "--length-window", "-1"), expect="window"),
    Case("distill --epochs 0", ("distill", "--task", "pursuit", "--epochs", "0", "--out", "{d}/run")),
    Case("distill --task twice", ("distill", "--task", "pursuit,pursuit"), expect="each once"),
    Case("distill --task unknown in a list", ("distill", "--task", "pursuit,nope"), expect="nope"),
    Case("distill --from missing run", ("distill", "--task", "pursuit", "--from", "{d}/norun"), expect="norun"),
    Case(
        "distill --curriculum-forms unknown",
        ("distill", "--task", "pursuit", "--curriculum-forms", "x"),
        expect="forms",
    ),
    # output targets, checked before any episode
    Case("eval --json DIR", (*P, "--json", "{d}/adir"), expect="directory"),
    Case("eval --json under /proc", (*P, "--json", "/proc/x/r.json"), expect="/proc/x"),
    Case("eval --json parent is a file", (*P, "--json", "{d}/afile/r.json"), expect="afile"),
    Case("play --render out.txt", (*PLAY, "--render", "{d}/out.txt"), expect=".gif"),
    Case("play --render DIR", (*PLAY, "--render", "{d}/adir"), expect="directory"),
    Case("play --render under /proc", (*PLAY, "--render", "/proc/x/a.gif"), expect="/proc/x"),
    Case("play --render, task draws none", ("play", "--task", "blackjack", "--render", "{d}/b.gif")),
    Case("play --html out.txt", (*PLAY, "--html", "{d}/out.txt"), expect=".html"),
    Case("serve unknown task", ("serve", "--task", "nope"), expect="unknown task"),
    Case("serve unknown policy", ("serve", "--task", "pursuit", "--policy", "nope"), expect="unknown policy"),
    Case("serve a policy that needs the env", ("serve", "--task", "pursuit", "--policy", "optimal"), expect="live"),
    Case("serve --port out of range", ("serve", "--task", "pursuit", "--port", "70000"), expect="--port"),
    Case("serve --window-ms not a number", ("serve", "--task", "pursuit", "--window-ms", "x"), expect="number"),
    Case("eval remote: with no URL", ("eval", "--task", "pursuit", "--policy", "remote:"), expect="want remote:URL"),
    Case(
        "eval remote: with a port out of range",
        ("eval", "--task", "pursuit", "--policy", "remote:http://127.0.0.1:99999"),
        expect="Port out of range",
    ),
    Case(
        "serve on a host that does not resolve",
        ("serve", "--task", "blackjack", "--policy", "teacher-program", "--host", "999.1.1.1"),
        expect="cannot serve on --host 999.1.1.1 --port 8000",
    ),
    Case("demo --out is a file", ("demo", "--out", "{d}/afile"), expect="afile"),
    Case("demo --out under /proc", ("demo", "--out", "/proc/x/demo"), expect="/proc/x"),
    Case("demo unknown scenario", ("demo", "--scenario", "nope", "--out", "{d}/demo"), expect="unknown scenario"),
    Case("distill --out is a file", ("distill", "--task", "pursuit", "--out", "{d}/afile"), expect="afile"),
    # maps
    Case("--map random:-5", (*P, "--map", "random:-5"), expect="random:"),
    Case("--map random:abc", (*P, "--map", "random:abc"), expect="random:"),
    Case("--map random:", (*P, "--map", "random:"), expect="random:"),
    Case("--map missing file, named", (*P, "--map", "{d}/nofile.txt"), expect="nofile"),
    Case("--map a directory", (*P, "--map", "{d}/adir"), expect="adir"),
    Case("--map binary file", (*P, "--map", "{d}/binary.map"), expect="binary.map"),
    Case("--map not UTF-8", (*P, "--map", "{d}/latin1.map"), expect="latin1.map"),
    Case("--map empty file", (*P, "--map", "{d}/empty.map"), expect="empty"),
    Case("--map 40x40", (*P, "--map", "{d}/big.map"), expect="at most"),
    Case("--map 20x20 open", (*P, "--map", "{d}/open20.map"), expect="at most 256"),
    Case("--map file of 1 MiB", (*P, "--map", "{d}/huge.map"), expect="bytes"),
    Case("--map 1x2000 row", (*P, "--map", "{d}/long.map"), expect="at most"),
    Case("--map ragged rows", (*P, "--map", "{d}/ragged.map"), expect="row 2"),
    Case("--map bad characters", (*P, "--map", "{d}/chars.map"), expect="row 1"),
    Case("--map disconnected", (*P, "--map", "{d}/split.map"), expect="connected"),
    # scenario files
    Case("--scenario not JSON", (*P, "--scenario", "{d}/garbage.json"), expect="JSON"),
    Case("--scenario not UTF-8", (*P, "--scenario", "{d}/latin1.json"), expect="latin1.json"),
    Case("--scenario a directory", (*P, "--scenario", "{d}/adir"), expect="is a folder"),
    Case("--scenario wrong shape", (*P, "--scenario", "{d}/list.json"), expect="object"),
    Case("--scenario bad event", (*P, "--scenario", "{d}/badevent.json"), expect="events[0]"),
    # home and base folders
    Case("HOME under /proc", P, env={"LOGICDISTILL_HOME": "/proc/x"}, expect="/proc/x"),
    Case("HOME is a file", P, env={"LOGICDISTILL_HOME": "{d}/afile"}, expect="afile"),
    Case("HOME is a file (base show)", ("base", "show", "--task", "pursuit"), env={"LOGICDISTILL_HOME": "{d}/afile"}),
    Case(
        "base build --base-dir /proc", ("base", "build", "--task", "pursuit", "--base-dir", "/proc/x"), expect="/proc/x"
    ),
    Case(
        "base build --base-dir file", ("base", "build", "--task", "pursuit", "--base-dir", "{d}/afile"), expect="afile"
    ),
    Case(
        "base show, none built",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/empty-bases"),
        expect="base build",
    ),
    Case(
        "base show --version 0",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/bases", "--version", "0"),
        expect="start at 1",
    ),
    Case(
        "base show --version -1",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/bases", "--version", "-1"),
        expect="start at 1",
    ),
    Case(
        "base show --version 99",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/bases", "--version", "99"),
        expect="has [1]",
    ),
    Case(
        "base check --version 0",
        ("base", "check", "--task", "pursuit", "--base-dir", "{d}/bases", "--version", "0"),
        expect="start at 1",
    ),
    Case(
        "base show, corrupt CURRENT",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/corrupt"),
        expect="CURRENT",
    ),
    Case(
        "base show, binary CURRENT",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/binary-current"),
        expect="CURRENT",
    ),
    Case(
        "base show, garbage version",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/garbage-version"),
        expect="version 1",
    ),
    Case(
        "base show, binary version",
        ("base", "show", "--task", "pursuit", "--base-dir", "{d}/binary-version"),
        expect="is unreadable",
    ),
    # students and runs
    Case(
        "eval --policy ld without ml",
        ("eval", "--task", "pursuit", "--policy", "ld", "--episodes", "1"),
        blocked=("torch",),
        expect="pip install",
    ),
    Case("eval random,ld without ml", (*P[:4], "random,ld"), blocked=("peft",), expect="pip install"),
    Case(
        "play --policy student-kd no ml",
        ("play", "--task", "pursuit", "--policy", "student-kd"),
        blocked=("transformers",),
        expect="pip install",
    ),
    Case(
        "distill without ml",
        ("distill", "--task", "pursuit", "--out", "{d}/run"),
        blocked=("torch",),
        expect="pip install",
    ),
    Case("demo without ml", ("demo", "--out", "{d}/demo"), blocked=("sentence_transformers",), expect="pip install"),
    Case("eval --run missing folder", (*P[:4], "ld", "--run", "{d}/norun"), expect="norun"),
    Case("eval --run not a run", (*P[:4], "ld", "--run", "{d}/adir"), expect="run.json"),
    # other file arguments
    Case("sandbox check missing file", ("sandbox", "check", "{d}/nofile.py"), expect="nofile.py"),
    Case("sandbox check binary file", ("sandbox", "check", "{d}/binary.map"), expect="binary.map"),
    Case("sandbox run bad --call", ("sandbox", "run", "{d}/ok.py", "--call", "f(("), expect="--call"),
]


def make_fixtures(d: Path) -> None:
    """The files the cases point at."""
    (d / "adir").mkdir()
    (d / "afile").write_text("a file where a folder is expected\n")
    (d / "binary.map").write_bytes(bytes(range(256)) * 4)
    (d / "latin1.map").write_bytes("..#.\n..é.\n".encode("latin-1"))
    (d / "empty.map").write_text("")
    (d / "big.map").write_text(("." * 40 + "\n") * 40)
    (d / "open20.map").write_text(("." * 20 + "\n") * 20)
    (d / "huge.map").write_text(("." * 1023 + "\n") * 1024)
    (d / "long.map").write_text("." * 2000 + "\n")
    (d / "ragged.map").write_text("....\n...\n")
    (d / "chars.map").write_text("..x.\n....\n")
    (d / "split.map").write_text("..#..\n..#..\n")
    (d / "garbage.json").write_text("{not json")
    (d / "latin1.json").write_bytes('{"name": "é"}'.encode("latin-1"))
    (d / "list.json").write_text("[1, 2]")
    (d / "badevent.json").write_text('{"name": "x", "events": [{"kind": "nope", "step": 1}]}')
    (d / "ok.py").write_text("def f(x):\n    return x\n")
    bases = d / "bases" / "pursuit"
    (bases / "versions").mkdir(parents=True)
    (bases / "versions" / "0001.json").write_text(
        '{"functions": {}, "program": null, "stages": [], "created_at": "now", "note": "census"}'
    )
    (bases / "CURRENT").write_text("1\n")
    for name, current, version in (
        ("corrupt", b"one\n", None),
        ("binary-current", bytes(range(256)), None),
        ("garbage-version", b"1\n", b"{garbage"),
        ("binary-version", b"1\n", bytes(range(256))),
    ):
        root = d / name / "pursuit"
        (root / "versions").mkdir(parents=True)
        (root / "CURRENT").write_bytes(current)
        if version is not None:
            (root / "versions" / "0001.json").write_bytes(version)


def run_case(case: Case, d: Path) -> Outcome:
    argv = [a.replace("{d}", str(d)) for a in case.argv]
    env = dict(os.environ, PYTHONPATH=str(SRC), LOGICDISTILL_HOME=str(d / "home"))
    env.pop("LOGICDISTILL_DEBUG", None)
    env.update({k: v.replace("{d}", str(d)) for k, v in case.env.items()})
    if case.blocked:
        cmd = [sys.executable, "-c", _BLOCKED_MAIN, ",".join(case.blocked), *argv]
    else:
        cmd = [sys.executable, "-m", "logicdistill", *argv]
    start = time.perf_counter()
    # Output to files and reaping with os.wait4: no pipe to drain, and wait4 hands back the child's rusage.
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=d, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code: int | None = os.waitstatus_to_exitcode(status)
                break
            if time.perf_counter() - start > case.timeout:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                code = None
                break
            time.sleep(0.01)
        proc.returncode = -1 if code is None else code  # reaped here; keep Popen from waiting again
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    return Outcome(case, code, time.perf_counter() - start, usage.ru_utime + usage.ru_stime, stderr)


def run_all(cases: list[Case] | None = None, workers: int = 4) -> list[Outcome]:
    """Run every case (a few at a time: each is mostly interpreter start-up) in one scratch folder."""
    with tempfile.TemporaryDirectory(prefix="ld-census-") as tmp:
        d = Path(tmp)
        make_fixtures(d)
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda c: run_case(c, d), cases or CASES))


def main() -> int:
    start = time.perf_counter()
    outcomes = run_all()
    width = max(len(o.case.name) for o in outcomes)
    print(f"{'mistake':<{width}}  exit  wall s  cpu s  first stderr line")
    for o in outcomes:
        first = o.lines[0] if o.lines else ""
        mark = "  <-- " + "; ".join(o.problems) if o.problems else ""
        code = "hang" if o.code is None else str(o.code)
        print(f"{o.case.name:<{width}}  {code:>4}  {o.seconds:6.1f}  {o.cpu:5.2f}  {first[:100]}{mark}")
    tracebacks = sum(o.traceback for o in outcomes)
    hangs = sum(o.code is None for o in outcomes)
    bad = sum(bool(o.problems) for o in outcomes)
    cpu = sum(o.cpu for o in outcomes)
    print(
        f"\n{len(outcomes)} mistakes: {tracebacks} tracebacks, {hangs} hangs, {bad} not as expected; "
        f"{time.perf_counter() - start:.1f} s wall, {cpu:.1f} CPU s in all"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
