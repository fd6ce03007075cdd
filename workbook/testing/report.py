"""What `workbook check` prints, gathered while the suites run on a learner's folder.

Loaded by `workbook check` only (`-p workbook.testing.report --behaviour-report=FILE`): for every test,
its behaviour (the docstring's first line), its case (the database, for a parametrized test), its
outcome over setup, call and teardown together (a failure and its teardown error are one failure) and,
when it fails, why in a line or two a learner can act on: the exception, or the assertion's own
comparison, and the line of the learner's file it came from. Warnings that come from code a tool
generated in the learner's folder (`flask db init`'s migrations/env.py) are kept as notes.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

WIDTH = 160


def pytest_addoption(parser):
    parser.getgroup("workbook").addoption(
        "--behaviour-report", default=None, metavar="FILE",
        help="write each test's behaviour, case, outcome and reason to FILE (JSON), for `workbook check`")


class Report:
    def __init__(self, config):
        self.path = Path(config.option.behaviour_report)
        from workbook.testing.selection import CODE  # imported late: conftest.py loads it first

        self.code = config.stash.get(CODE, None)
        self.tests: dict[str, dict] = {}
        self.notes: dict[str, str] = {}

    def entry(self, item) -> dict:
        if item.nodeid not in self.tests:
            props = dict(item.user_properties)
            self.tests[item.nodeid] = {
                "test": item.nodeid.split("[")[0], "behaviour": props.get("behaviour", item.name),
                "case": props.get("case"), "outcome": "passed", "why": [], "skip": None}
        return self.tests[item.nodeid]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        entry = self.entry(item)
        if report.failed and entry["outcome"] != "failed":
            entry["outcome"] = "failed"
            # What the test's code logged or printed too: an error the app caught and logged (a task
            # that could not be queued) is often the cause of the assertion that failed.
            logs = "\n".join((report.caplog, report.capstderr, report.capstdout))
            entry["why"] = (self.explain(call.excinfo, logs) if call.excinfo
                            else [str(report.longrepr)[:WIDTH]])
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            entry["skip"] = reason.removeprefix("Skipped: ")
        return report

    def pytest_warning_recorded(self, warning_message, when, nodeid, location):
        """A warning from generated code in the learner's folder (migrations/) is a note, not a failure."""
        path = self.relative(warning_message.filename)
        if path is not None:
            text = str(warning_message.message).splitlines()[0]
            self.notes[f"{path}:{warning_message.lineno}"] = (
                f"{path}, line {warning_message.lineno}: {warning_message.category.__name__}: {text}")

    def relative(self, filename: str) -> str | None:
        if self.code is None:
            return None
        try:
            return Path(filename).resolve().relative_to(self.code).as_posix()
        except ValueError:
            return None

    def explain(self, excinfo, logs: str = "") -> list[str]:
        """One or two plain lines: what was expected and what was found, or what went wrong."""
        error = excinfo.value
        text = str(error).strip()
        if isinstance(error, AssertionError) or type(error).__name__ == "Failed":
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            # "Extra items in the left set:" is followed by the items, one a line: keep the first.
            lines = [f"{line} {lines[n + 1]}" if line.endswith(":") and n + 1 < len(lines) else line
                     for n, line in enumerate(lines)]
            # pytest's rewritten assert: "[the test's message]", "assert left == right", then how they
            # differ ("At index 0 diff: …", "Extra items in the left set: …")
            detail = [line for line in lines if " diff: " in line or line.startswith(
                ("Left contains", "Right contains", "Extra items", "Differing items", "Omitting"))]
            detail = [line.split(" diff: ", 1)[-1] for line in detail
                      if not line.startswith("Omitting")]
            why = lines[:1] or [type(error).__name__]
            if why[0].startswith("assert "):  # no message of the test's own: pytest's comparison,
                # whole: "assert 1 == 0" says nothing without its "+  where 1 = count(…)" lines
                why += [line for line in lines[1:] if re.match(r"\+\s+(and|where)\s", line)][:3] + detail[:1]
        elif isinstance(error, subprocess.CalledProcessError):  # a command the test typed for you
            command = error.cmd if isinstance(error.cmd, list) else str(error.cmd).split()
            if "--app" in command:  # `python -m flask --app main db upgrade` → `flask db upgrade`
                command = ["flask", *command[command.index("--app") + 2:]]
            output = error.stderr or error.stdout or ""
            output = output.decode(errors="replace") if isinstance(output, bytes) else output
            last = [line.strip() for line in output.splitlines() if line.strip()][-1:]
            why = [f"`{' '.join(map(str, command))}` failed (exit status {error.returncode})", *last]
        else:
            first = text.splitlines()[0] if text else ""
            why = [f"{type(error).__name__}: {first}".rstrip(": ")]
        # A known mistake points at its cause (a decorator, a setting), not where it surfaced.
        cause = diagnose(error, text, self.code) or diagnose_logs(logs, self.code)
        where = cause[:-1] or [self.where(excinfo)] if len(why) == 1 else cause[:-1]
        why += [line for line in where if line] + cause[-1:]
        return [line if len(line) <= WIDTH else line[:WIDTH - 1] + "…" for line in why]

    def where(self, excinfo) -> str | None:
        """The learner's own line the error came out of, if it came out of one."""
        for entry in reversed(excinfo.traceback):
            path = self.relative(str(entry.path))
            if path is not None:
                try:
                    source = str(entry.statement).strip().splitlines()[0]
                except (IndexError, Exception):
                    source = ""
                return f"in your {path}, line {entry.lineno + 1}: {source}".rstrip(": ")
        return None

    def pytest_sessionfinish(self, session):
        self.path.write_text(json.dumps({"tests": list(self.tests.values()),
                                         "notes": list(self.notes.values())}, indent=1))


# Mistakes whose error shows up far from their cause, each with where the cause is and what fixes it.

def diagnose(error: BaseException, text: str, code: Path | None) -> list[str]:
    """Where the likely cause is in the learner's folder, and the likely fix, for a known mistake."""
    if code is None:
        return []
    missing = re.match(r"(\w+)\(\) missing 1 required positional argument", text)
    if isinstance(error, TypeError) and missing:
        found = find_line(code, rf"def {missing[1]}\(self\b")
        if found:  # a task written to be bound, whose decorator does not bind it
            return [f"in your {found}", f"likely fix: `{missing[1]}` takes `self` (the task): "
                    "its decorator needs bind=True, e.g. @shared_task(bind=True, …)"]
    if type(error).__name__ == "NotRegistered":
        found = find_line(code, r"['\"]include['\"]|include=|imports") or find_line(code, r"Celery\(")
        return [*([f"in your {found}"] if found else []),
                f"likely fix: Celery does not know the task {text}: the module that defines it must be "
                "in the Celery app's include (or imported when the app is made)"]
    return []


def diagnose_logs(logs: str, code: Path | None) -> list[str]:
    """A known mistake that the app caught and logged, where the test saw only its consequence."""
    missing = re.search(r"(\w+)\(\) missing 1 required positional argument", logs)
    if missing:
        return diagnose(TypeError(missing.group(0)), missing.group(0), code)
    return []


def find_line(code: Path, pattern: str) -> str | None:
    """The first line of the learner's Python files that matches `pattern`: "path, line N: source"."""
    for path in sorted(code.rglob("*.py")):
        if any(part.startswith(".") or part == "migrations" for part in path.relative_to(code).parts):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if re.search(pattern, line):
                return f"{path.relative_to(code).as_posix()}, line {number}: {line.strip()}"
    return None


def pytest_configure(config):
    if config.option.behaviour_report:
        config.pluginmanager.register(Report(config), "workbook-behaviour-report")
