"""Bottom layer: errors, identifiers and small utilities with no knowledge of models."""
