"""Airflow DAGs for stainless models: rendered as data, built by a tested runtime module.

``stainless dags render`` writes two small files per model (training, monitoring): the model's
resolved configuration as a literal plus a two-line stub calling
:func:`dag_generator.runtime.build_dag`. All behaviour lives
here, in the framework, tested and versioned with it (metaflow's approach): regenerating a DAG
never changes logic, and upgrading stainless fixes every model's DAG at once.

This package is the top layer: it may import any of ``stainless``, nothing imports it. At DAG
parse time only :mod:`dag_generator.runtime`, :mod:`dag_generator.tasks` and
:mod:`dag_generator.monitor_tasks` are imported, and they import nothing heavy at module level.
"""
