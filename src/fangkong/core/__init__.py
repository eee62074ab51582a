"""The pure core: domain types, epidemiology, rules and allocation.

Nothing in this package may import a web framework, ORM, template engine, HTTP or
CLI library, nor any Fangkong adapter (``store``, ``services``, ``api``, ``web``,
``cli``). ``tests/test_architecture.py`` enforces this.
"""
