"""Hyperparameter searches: spaces, samplers and pruners (Optuna does the maths), and the
scheduler that turns a search into trial jobs from database state."""
