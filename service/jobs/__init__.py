"""Plain functions around training jobs: spec validation and data preparation."""
