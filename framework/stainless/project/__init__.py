"""The project contract: ``model.yaml``, the hook files, Datasets, the hook context, schemas."""
