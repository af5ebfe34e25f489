"""The plumbing every app uses, below every app: nothing here imports an app of the product."""
