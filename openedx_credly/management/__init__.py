"""
Django management commands (``manage.py credly_*``) for operators and course teams.

An edge, like ``api``: each command reads its arguments, calls the packages below it and
reports what happened.
"""
