"""The workbook's pytest plugins: one suite, run against any chapter (see conftest.py)."""
