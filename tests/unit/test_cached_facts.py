"""Facts cached for every event: computed once while the cache works, read from the table when it does not."""
import logging

from openedx_credly.awarding import cached_facts, learning_paths, milestones


class BrokenCache:
    """A cache whose server is down: every call raises."""

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")

    set = delete = get


def test_a_fact_is_computed_once_then_read_from_the_cache():
    calls = []

    def compute():
        calls.append(1)
        return frozenset({"x"})

    cached_facts.forget("test.fact", what="fact")
    read = [cached_facts.read("test.fact", compute, timeout_setting="NO_SUCH_SETTING", default_timeout=60,
                              what="fact") for _ in range(3)]
    assert read == [frozenset({"x"})] * 3 and len(calls) == 1
    cached_facts.forget("test.fact", what="fact")
    cached_facts.read("test.fact", compute, timeout_setting="NO_SUCH_SETTING", default_timeout=60, what="fact")
    assert len(calls) == 2


def test_a_cache_outage_costs_a_query_not_an_event(db, monkeypatch, caplog):
    monkeypatch.setattr(cached_facts, "cache", BrokenCache())
    with caplog.at_level(logging.WARNING, logger="openedx_credly.awarding.cached_facts"):
        assert learning_paths.course_index() == frozenset()
        assert milestones.active_kinds() == frozenset()
        milestones.forget_active_kinds()
    assert "could not read the learning-path index from the cache" in caplog.text
    assert "could not cache the milestone kinds" in caplog.text
    assert "could not clear the milestone kinds" in caplog.text
