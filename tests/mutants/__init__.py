"""Guard mutations: break one guard at a time and check that a test notices.

``python -m tests.mutants`` (``make mutants``) runs them; see ``catalogue.py`` for the list.
"""
