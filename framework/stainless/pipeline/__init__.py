"""Stage functions of the model lifecycle, called alike by `stainless run`, the container entry
points and the generated Airflow DAG."""
