"""The Docker image: building it (wheelhouse, Docker engine) and what runs inside it (the
SageMaker ``train`` and ``serve`` entry points of the container contract)."""
