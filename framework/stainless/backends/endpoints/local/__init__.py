"""The local endpoint: a router process speaking SageMaker's runtime wire format in front of one
model-server process per production variant, with its routing table and durable per-variant
counters in SQLite. Modules: ``endpoint`` (the :class:`Endpoint` implementation), ``processes``
(spawning and reaping servers), ``state`` (routes and weights), ``counters``, ``router`` and
``upstream`` (the router's pooled connections to the variants)."""
