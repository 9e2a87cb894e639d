"""Tutor plugin that installs openedx-credly in an Open edX platform run by Tutor."""
