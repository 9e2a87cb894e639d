"""
Does a query read a table through an index, or scan all of it? On SQLite and on MariaDB.

Reusable: run the plugin's real code under ``captured_selects`` and hand each statement to
``full_scans``; add a hot query to ``tests/reliability/test_indexes.py`` by adding a case.

* SQLite: ``EXPLAIN QUERY PLAN``; a full scan is a ``SCAN <table>`` step without an index.
* MariaDB/MySQL: ``EXPLAIN``; a full scan is access type ``ALL`` (every row) or ``index``
  (every entry of an index, which costs the same as the table on a big one), except an
  ``index`` read of a statement with a LIMIT (a page read in the order of an index, which
  stops at its LIMIT: the admin's newest-first page, its capped count).
"""
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext


def captured_selects(function, *args, **kwargs):
    """Run ``function`` and return the SELECT statements it executed, with their parameters filled in."""
    with CaptureQueriesContext(connection) as context:
        function(*args, **kwargs)
    return [query["sql"] for query in context.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")]


def plan(sql):
    """``[(table, access, index), ...]``, one per table the statement reads, in the engine's words."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            steps = []
            for row in cursor.fetchall():
                detail = row[-1]
                match = re.match(r"(SCAN|SEARCH) (\S+)(?: AS \S+)?(?: USING (?:COVERING )?INDEX (\S+))?", detail)
                if match:
                    steps.append((match.group(2), match.group(1), match.group(3)))
            return steps
        cursor.execute(f"EXPLAIN {sql}")
        columns = [column[0].lower() for column in cursor.description]
        rows = [dict(zip(columns, values)) for values in cursor.fetchall()]
        return [(row["table"], row["type"], row["key"]) for row in rows]


def full_scans(sql, tables):
    """The steps of ``sql``'s plan that read one of ``tables`` whole."""
    names = table_aliases(sql, tables)
    scans = []
    for table, access, index in plan(sql):
        name = table.strip("`\"")
        if name not in names:
            continue
        if connection.vendor == "sqlite":
            # An unfiltered page or capped count read in rowid order stops at its LIMIT.
            if access == "SCAN" and not index and not (limited(sql) and " WHERE " not in sql):
                scans.append((name, access, index))
        elif access == "ALL" and limited(sql) and " WHERE " not in sql and ordered_by_an_index(sql, name):
            # An unfiltered page on a few thousand rows: MariaDB sorts them, cheaper at this size; on a
            # big table it reads the index that gives the order and stops at the LIMIT (docs/performance.rst).
            continue
        elif access == "ALL" or not index or (access == "index" and not limited(sql)):
            scans.append((name, access, index))
    return scans


def ordered_by_an_index(sql, table):
    """Whether an index of ``table`` starts with the columns of ``sql``'s ORDER BY (its primary key follows)."""
    match = re.search(r"ORDER BY (.+?) LIMIT", sql)
    if not match:
        return False
    columns = [re.sub(r"[`\"]", "", term.strip().split(" ")[0]).split(".")[-1] for term in match.group(1).split(",")]
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    if columns[-1] == "id":
        columns = columns[:-1] or ["id"]
    return any(c["columns"][:len(columns)] == columns for c in constraints.values() if c["index"] or c["primary_key"])


def limited(sql):
    """Whether ``sql`` (or the derived table it counts) stops at a LIMIT."""
    return re.search(r"\bLIMIT \d+\)? ?(?:subquery)?\s*$", sql.strip()) is not None


def table_aliases(sql, tables):
    """``tables`` plus the aliases Django gave them in ``sql`` (``U0``, ``T3``...), as EXPLAIN names them."""
    names = set(tables)
    for table in tables:
        names.update(re.findall(rf"[`\"]?{table}[`\"]? (?:AS )?[`\"]?([A-Z]\d+)[`\"]?", sql))
    return names
