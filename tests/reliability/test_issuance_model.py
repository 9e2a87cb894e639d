"""
A model-based test of issuance: a seeded random walk of thousands of steps against the fake Credly.

Learners earn, lose and regain certificates (events repeated, CHANGED then CREATED in one
transaction), workers take messages from a simulated broker in random order, Credly
misbehaves (timeouts before and after it created the badge, dropped connections, 5xx,
429, 401, 201 without id, redirects), leases run out, a second worker or the
certificate's revocation or an operator's retry barges in while a POST is on its way,
Credly's webhook changes states, the sweeper runs. Templates that refuse duplicates and
templates that allow them are both in play.

Checked after every step:

* at most one live (pending or accepted) Credly badge per achievement;
* no row claims a Credly id that Credly does not have, and no two rows claim the same one;

and once the faults stop and the workers, the sweeper and an operator's retries have run
to quiescence:

* every achievement whose learner holds the certificate has exactly one live badge, and
  its row shows it; every one taken back has none;
* nothing is left queued, and no message is left in the broker.

``CREDLY_MODEL_STEPS`` (default 1200) and ``CREDLY_MODEL_SEEDS`` (default ``1,2``) set the
walk; a failure prints the seed and the last steps, so it can be replayed. The same steps
also run as a Hypothesis ``RuleBasedStateMachine`` (shorter runs, but a failure is shrunk
to the shortest sequence that breaks an invariant; keep it as a regression test).

``test_issuance_state_machine_every_fault_and_actor`` runs a second machine over
``issuance_faults.FullWorld``: every fault and actor of issue 19, more invariants (nothing
stuck, attempts bounded, no POST for a revoked, retired or email-less badge, expiry
following the grant, a retired learner's data gone). ``CREDLY_MODEL_PROFILE`` sets its size
(``ci``, ``find``, ``shrink``, ``long``: ``make test-model``); ``CREDLY_MODEL_FEATURES`` and
``CREDLY_MODEL_IGNORE`` switch features and checks (docs/reliability.rst).
"""
import os
import random

import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from openedx_credly.issuing import scheduling
from tests.conftest import make_learner
from tests.reliability.issuance_faults import ENABLED, FullWorld, enabled_actions, set_up_full_world
from tests.reliability.issuance_world import ACTIONS, World, set_up_world

STEPS = int(os.environ.get("CREDLY_MODEL_STEPS", "1200"))
SEEDS = [int(seed) for seed in os.environ.get("CREDLY_MODEL_SEEDS", "1,2").split(",")]


@pytest.mark.parametrize("seed", SEEDS)
def test_issuance_holds_under_random_interleavings(seed, model_settings, use_fake_credly, organization,
                                                   django_capture_on_commit_callbacks, monkeypatch, capsys):
    fake = use_fake_credly
    learners = [make_learner(username=f"walker{n}", email=f"walker{n}@example.com") for n in range(3)]
    achievements = set_up_world(fake, organization, learners)

    rng = random.Random(seed)
    world = World(fake, django_capture_on_commit_callbacks, rng, organization, achievements)
    monkeypatch.setattr(scheduling, "enqueue", world.enqueue)
    weights, names = zip(*ACTIONS)
    step = 0
    try:
        for step in range(STEPS):
            name = rng.choices(names, weights)[0]
            world.trace.append(f"{step}: {getattr(world, name)()}")
            world.check_always()
        world.trace.append("settle")
        world.settle()
        world.check_settled()
    except BaseException:
        print(f"\nseed {seed}, failed at step {step}; last steps:\n  " + "\n  ".join(world.trace))
        raise
    with capsys.disabled():
        stats = fake.state.stats()
        print(f"\nissuance model, seed {seed}: {STEPS} steps, {len(fake.state.all_badges())} badges on Credly, "
              f"{stats['faults_injected']} faults, {stats['duplicates_refused']} duplicates refused; "
              f"outcomes {dict(sorted(world.counts.items()))}")


def test_issuance_state_machine(model_settings, use_fake_credly, organization, django_capture_on_commit_callbacks,
                                monkeypatch):
    """The same steps as a Hypothesis state machine: a failure is shrunk to its shortest sequence."""
    fake = use_fake_credly
    learners = [make_learner(username=f"machine{n}", email=f"machine{n}@example.com") for n in range(2)]

    class IssuanceMachine(RuleBasedStateMachine):
        """Every step of the walk is a rule; Hypothesis' Random drives its choices inside the step."""

        def __init__(self):
            super().__init__()
            self.world = World(fake, django_capture_on_commit_callbacks, random.Random(0), organization,
                               set_up_world(fake, organization, learners))
            monkeypatch.setattr(scheduling, "enqueue", self.world.enqueue)

        def step(self, name, rnd):
            self.world.rng = rnd
            self.world.trace.append(getattr(self.world, name)())

        @rule(rnd=strategies.randoms(use_true_random=False))
        def earn(self, rnd):
            self.step("earn", rnd)

        @rule(rnd=strategies.randoms(use_true_random=False))
        def revoke_certificate(self, rnd):
            self.step("revoke_certificate", rnd)

        @rule(rnd=strategies.randoms(use_true_random=False))
        def work(self, rnd):
            self.step("work", rnd)

        @rule(rnd=strategies.randoms(use_true_random=False))
        def fault(self, rnd):
            self.step("fault", rnd)

        @rule(rnd=strategies.randoms(use_true_random=False))
        def concurrent(self, rnd):
            self.step("concurrent", rnd)

        @rule(rnd=strategies.randoms(use_true_random=False),
              name=strategies.sampled_from(["reconnect", "webhook", "expire_leases", "admin_retry", "sweep",
                                            "time_passes", "refresh_pending", "restore_credentials"]))
        def other(self, rnd, name):
            self.step(name, rnd)

        @invariant()
        def always(self):
            self.world.check_always()

        def teardown(self):
            self.world.settle()
            self.world.check_settled()

    run_state_machine_as_test(IssuanceMachine, settings=hypothesis_settings(
        max_examples=int(os.environ.get("CREDLY_MODEL_EXAMPLES", "12")), stateful_step_count=30, deadline=None,
        suppress_health_check=list(HealthCheck), database=None,
    ))


# ---------------------------------------------------------------- every fault and actor (issue 19)

# Hypothesis runs of the full model: "ci" (make test) and "long" (make test-model; see docs/reliability.rst).
# "ci" does not shrink (today's code fails it, issue 19, and shrinking takes minutes) and runs the same
# examples every time (derandomized), so a CI failure is repeatable; "shrink" and "long" shrink.
MODEL_PROFILES = {
    "ci": {"max_examples": 8, "stateful_step_count": 30, "phases": [Phase.generate], "derandomize": True},
    "find": {"max_examples": 60, "stateful_step_count": 40, "phases": [Phase.generate]},
    "shrink": {"max_examples": 60, "stateful_step_count": 40},
    "long": {"max_examples": 500, "stateful_step_count": 50},
}
MODEL_PROFILE = os.environ.get("CREDLY_MODEL_PROFILE", "ci")


def full_machine(fake, capture, organization, learners, monkeypatch, features=ENABLED):
    """The Hypothesis state machine over ``FullWorld``: each enabled action is a rule."""

    class FullIssuanceMachine(RuleBasedStateMachine):
        """Hypothesis picks the action and the seed of its choices."""

        def __init__(self):
            super().__init__()
            self.world = FullWorld(fake, capture, random.Random(0), organization,
                                   set_up_full_world(fake, organization, learners), features, learners)
            self.world.watch(monkeypatch)
            random.seed(0)  # the jitter of retry delays and pauses, as each run's steps replay it

        # A seed for each step, not a Hypothesis Random: how many choices a step makes depends on the
        # database (and on the jitter of retry delays), and Hypothesis wants the same draws on replay.
        @rule(seed=strategies.integers(min_value=0, max_value=2 ** 16),
              name=strategies.sampled_from([name for weight, name in enabled_actions(features) for _ in range(weight)]))
        def act(self, seed, name):
            self.world.rng = random.Random(seed)
            self.world.trace.append(f"{name} (seed {seed}): {getattr(self.world, name)()}")

        @invariant()
        def always(self):
            self.world.check_always()

        def teardown(self):
            try:
                self.world.settle()
                self.world.check_settled()
            except BaseException:
                print("\nsteps of the failing run:\n  " + "\n  ".join(self.world.trace))
                raise

    return FullIssuanceMachine


def test_issuance_state_machine_every_fault_and_actor(model_settings, use_fake_credly, organization,
                                                      django_capture_on_commit_callbacks, monkeypatch):
    """Every fault and actor of issue 19 (``CREDLY_MODEL_FEATURES`` narrows them); shrunk on failure."""
    model_settings.CREDLY_RETRY_BACKOFF_MAX = 60
    learners = [make_learner(username=f"full{n}", email=f"full{n}@example.com") for n in range(2)]
    learners.append(make_learner(username="quietlearner", email=""))
    machine = full_machine(use_fake_credly, django_capture_on_commit_callbacks, organization, learners, monkeypatch)
    run_state_machine_as_test(machine, settings=hypothesis_settings(
        deadline=None, suppress_health_check=list(HealthCheck), database=None, **MODEL_PROFILES[MODEL_PROFILE]))


# A counterexample the long run (``make test-model`` at 1,000 runs of 50 steps) found after issue 19's
# fixes were merged, partly shrunk: a revocation whose answer was lost, the certificate granted
# again, the badge read as revoked on Credly, then the certificate revoked once more; the revoking
# task's retry granted the badge again, and at quiescence a badge taken back was live on Credly.
# Fixed in issuance.request_revocation; kept as the replayed sequence (docs/reliability.rst).
LONG_RUN_BADGE_TAKEN_BACK_STILL_LIVE = [
    ("duplicate_message", 81), ("lose_message", 79), ("earn", 281), ("duplicate_message", 213),
    ("earn", 65536), ("earn", 9151), ("work", 3755), ("earn_without_email", 534),
    ("fault", 715), ("sweep", 467), ("work", 5255), ("fault", 214),
    ("import_command", 4252), ("concurrent", 3038), ("work", 56653), ("sweep", 14737),
    ("work", 203), ("revoke_certificate", 13802), ("concurrent", 0), ("earn", 129),
    ("earn_without_email", 290), ("work", 752), ("import_panel", 19168), ("revoke_certificate", 403),
    ("sweep", 34), ("old_badge", 270), ("notify", 19913), ("import_command", 682),
    ("notify", 310), ("credly_accepts", 1381), ("work", 12119), ("fault", 1257),
    ("sweep", 521), ("notify", 2245), ("earn", 298), ("restore_credentials", 6779),
    ("fault", 2588), ("sweep", 65535), ("work", 250), ("earn", 778),
    ("work", 65536), ("earn", 2888), ("notify", 4633), ("work", 10856),
    ("revoke_certificate", 206), ("refresh", 20431), ("refresh", 0), ("concurrent", 343),
    ("admin_retry", 0), ("earn", 0),
]


def test_long_run_counterexample_badge_taken_back_still_live(model_settings, use_fake_credly, organization,
                                                             django_capture_on_commit_callbacks, monkeypatch):
    """The long run's counterexample, replayed step by step as Hypothesis printed it."""
    model_settings.CREDLY_RETRY_BACKOFF_MAX = 60
    learners = [make_learner(username=f"full{n}", email=f"full{n}@example.com") for n in range(2)]
    learners.append(make_learner(username="quietlearner", email=""))
    state = full_machine(use_fake_credly, django_capture_on_commit_callbacks, organization, learners, monkeypatch)()
    state.always()
    for name, seed in LONG_RUN_BADGE_TAKEN_BACK_STILL_LIVE:
        state.act(name=name, seed=seed)
        state.always()
    state.teardown()
