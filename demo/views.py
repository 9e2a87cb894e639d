"""The demo's index page at ``/``: its pages and logins (the demo's own, not the plugin's)."""
from gettext import gettext as _

from django.http import HttpResponse
from django.utils.html import format_html, format_html_join

# (title, URL, login, what it shows), filled by the demo before it serves.
LINKS = []

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
li {{ margin: .8rem 0; }} code {{ background: #f2f2f2; padding: 0 .3rem; }} .what {{ color: #555; }}
</style></head>
<body><h1>{title}</h1><p>{intro}</p><ul>{links}</ul><p>{logout}</p></body></html>"""


def index(request):
    """List the demo's pages; each learner signs in on the demo's own page."""
    links = format_html_join(
        "", '<li><a href="{}">{}</a> {}<br><span class="what">{}</span></li>',
        ((url, title, format_html("— <code>{}</code>", login) if login else "", what)
         for title, url, login, what in LINKS),
    )
    return HttpResponse(format_html(
        PAGE, title=_("openedx-credly demo"), links=links,
        intro=_("A fake Credly, a standalone host with the plugin, and a learner who earned four badges."),
        logout=_("To switch learners, sign in again from a learner's link: the new sign-in replaces the old."),
    ))
