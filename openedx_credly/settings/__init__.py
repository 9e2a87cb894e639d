"""Settings modules loaded by the platform through the plugin mechanism."""
