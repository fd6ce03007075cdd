"""The chapters' coverage counts what building an app runs once per kind of build
(workbook/testing/coverage_floor.py, MeasuredOnce): a repeated build runs untraced, and the tracer
is back on after it."""
import json
import subprocess
import sys
import textwrap

from workbook import chapters

SCRIPT = textwrap.dedent('''
    import json, sys
    import coverage
    sys.path.insert(0, {folder!r})
    measure = coverage.Coverage(branch=True, source=[{folder!r}], data_file=None, config_file=False)
    measure.start()
    import factory
    from workbook.testing.coverage_floor import measured_once
    with measured_once("an app"):
        factory.build(first=True)
    with measured_once("an app"):  # the same kind of build again: not traced
        factory.build(first=False)
    factory.afterwards()
    with measured_once("another app"):
        factory.other()
    measure.stop()
    print(json.dumps(sorted(measure.get_data().lines({module!r}))))
''')

FACTORY = textwrap.dedent('''\
    def build(first):
        if first:
            made = "first"  # line 3
        else:
            made = "again"  # line 5
        return made


    def afterwards():
        return "after"  # line 10


    def other():
        return "other"  # line 14
''')


def test_a_repeated_build_runs_untraced_and_the_tracer_is_back_after_it(tmp_path):
    """Under coverage, the first build of a kind is measured and the same kind built again is not;
    the code after it and a build of another kind are measured."""
    (tmp_path / "factory.py").write_text(FACTORY)
    script = SCRIPT.format(folder=str(tmp_path), module=str(tmp_path / "factory.py"))
    done = subprocess.run([sys.executable, "-c", script], cwd=chapters.ROOT, capture_output=True,
                          text=True, check=True)
    lines = set(json.loads(done.stdout))
    assert {3, 10, 14} <= lines
    assert 5 not in lines
