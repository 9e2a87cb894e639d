"""Stand-ins for the edx-platform data the plugin reads (certificates, roles, course settings)."""
