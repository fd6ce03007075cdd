"""Run `python -m MODULE ARGS…` in the chapter's folder with the chapter's code measured by coverage,
as the tests' own process measures it (coverage_floor.measured_launcher builds the command):

    python -m workbook.testing.measured DATA_FILE SOURCE OMIT PRELOAD MODULE [ARGS…]

The libraries the chapter uses are imported first, unmeasured: PRELOAD (the chapter's app module) is
imported, then forgotten with every chapter module, so that MODULE imports the chapter afresh, under
coverage, and finds the libraries already there. Coverage's tracer slows every Python call, and some
libraries do much work at import (jsonschema, through Flask-RESTX, builds a parser): measured from the
start, a Celery worker takes twice the CPU to start. The data are saved when MODULE ends (a normal exit,
SIGINT or SIGTERM; not SIGKILL).
"""
import importlib
import runpy
import sys

import coverage

from workbook import chapters


def main(data_file: str, source: str, omit: str, preload: str, module: str, *args: str) -> None:
    importlib.import_module(preload)
    chapters.forget_chapter_modules()
    measure = coverage.Coverage(data_file=data_file, data_suffix=True, branch=True, source=[source],
                                omit=omit.split(",") if omit else None, config_file=False)
    measure.start()
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        measure.stop()
        measure.save()


if __name__ == "__main__":
    main(*sys.argv[1:])
