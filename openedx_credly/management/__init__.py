"""Django management commands (``manage.py credly_*``): an edge over the domain packages."""
