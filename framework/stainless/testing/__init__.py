"""The shared test suite of every model repository: a pytest plugin (entry point ``pytest11``,
name ``stainless``) that adds framework tests to ``pytest`` in any folder with a model.yaml.

Disable it with ``pytest -p no:stainless``; deselect its tests with ``-m "not stainless"``.
"""
