"""Django admin of learning-path badges (imported by admin.py)."""
