"""Plain, short output for the demo: numbered sections, indented sentences, aligned fields."""
import sys
import textwrap

WIDTH = 100


class Console:
    """Writes to stdout (or ``stream``), flushed, so a parent process sees each line as it comes."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def _write(self, text=""):
        self.stream.write(text + "\n")
        self.stream.flush()

    def title(self, text):
        self._write(text)
        self._write("=" * len(text))

    def section(self, number, title):
        self._write()
        self._write(f"{number}. {title}")

    def say(self, text):
        for paragraph in str(text).splitlines() or [""]:
            self._write(textwrap.fill(paragraph, WIDTH, initial_indent="   ", subsequent_indent="   ",
                                      break_long_words=False, break_on_hyphens=False))

    def field(self, label, value):
        self._write(f"     {label + ':':<18} {value}")

    def done(self, text):
        self._write()
        self._write(f"OK  {text}")

    def failure(self, text):
        self._write()
        self._write(f"FAILED  {text}")
