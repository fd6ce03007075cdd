"""Tooling of the Mastering Flask workbook: the chapter list, the `workbook` command, notebook setup.

Kept free of imports so that a chapter checked out on its own can carry the few modules it needs.
"""
