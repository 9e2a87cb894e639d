"""Version of tutor-contrib-credly: always the openedx-credly release it installs."""
__version__ = "0.1.0"
