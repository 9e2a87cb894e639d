"""REST API of openedx-credly."""
