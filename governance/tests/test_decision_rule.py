"""Property tests of the decision rule: any, all, M of N, with veto and dated delegation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.decision_rule import (
    ALL,
    ANY,
    APPROVE,
    APPROVED,
    DEFER,
    M_OF_N,
    OPEN,
    REJECT,
    REJECTED,
    Decision,
    Delegation,
    Rule,
    evaluate,
)

T0 = datetime(2026, 12, 1, 9, 0)
people = st.integers(min_value=1, max_value=8)
verdicts = st.sampled_from([APPROVE, REJECT, DEFER])
decisions = st.lists(
    st.builds(
        Decision,
        person=people,
        verdict=verdicts,
        at=st.integers(0, 100).map(lambda m: T0 + timedelta(minutes=m)),
    ),
    max_size=12,
)
panels = st.sets(people, min_size=1, max_size=6)


@st.composite
def rules(draw, seats: int):
    kind = draw(st.sampled_from([ANY, ALL, M_OF_N]))
    return Rule(kind, draw(st.integers(1, seats)) if kind == M_OF_N else 1)


def reference(rule: Rule, approvers: set[int], made: list[Decision], veto: set[int]) -> str:
    """The rule said plainly, without delegation: first verdict per approver."""
    first: dict[int, str] = {}
    for d in sorted(made, key=lambda d: (d.at, d.person, d.verdict)):
        if d.verdict == REJECT and d.person in veto:
            return REJECTED
        if d.verdict != DEFER and d.person in approvers:
            first.setdefault(d.person, d.verdict)
    needed = rule.needed(len(approvers))
    approvals = sum(v == APPROVE for v in first.values())
    if approvals + (len(approvers) - len(first)) < needed:
        return REJECTED
    return APPROVED if approvals >= needed else OPEN


@given(data=st.data(), approvers=panels, made=decisions, veto=st.sets(people, max_size=2))
def test_the_rule_is_its_plain_definition(data, approvers, made, veto):
    rule = data.draw(rules(len(approvers)))
    outcome = evaluate(rule=rule, approvers=approvers, decisions=made, veto=veto)
    assert outcome.state == reference(rule, approvers, made, veto)


@given(data=st.data(), approvers=panels, made=decisions)
def test_the_order_decisions_arrive_in_does_not_matter(data, approvers, made):
    rule = data.draw(rules(len(approvers)))
    shuffled = data.draw(st.permutations(made))
    assert (
        evaluate(rule=rule, approvers=approvers, decisions=made).state
        == evaluate(rule=rule, approvers=approvers, decisions=shuffled).state
    )


@given(data=st.data(), approvers=panels, made=decisions)
def test_a_decision_received_twice_counts_once(data, approvers, made):
    rule = data.draw(rules(len(approvers)))
    once = evaluate(rule=rule, approvers=approvers, decisions=made)
    twice = evaluate(rule=rule, approvers=approvers, decisions=made + made)
    assert (once.state, once.approvals, once.rejections) == (
        twice.state,
        twice.approvals,
        twice.rejections,
    )


@given(approvers=panels, made=decisions)
def test_any_is_one_of_n_and_all_is_n_of_n(approvers, made):
    n = len(approvers)
    assert (
        evaluate(rule=Rule(ANY), approvers=approvers, decisions=made).state
        == evaluate(rule=Rule(M_OF_N, 1), approvers=approvers, decisions=made).state
    )
    assert (
        evaluate(rule=Rule(ALL), approvers=approvers, decisions=made).state
        == evaluate(rule=Rule(M_OF_N, n), approvers=approvers, decisions=made).state
    )


@given(data=st.data(), approvers=panels, made=decisions, holder=people)
def test_a_veto_rejects_whatever_else_was_decided(data, approvers, made, holder):
    rule = data.draw(rules(len(approvers)))
    vetoed = [*made, Decision(holder, REJECT, T0 + timedelta(minutes=50))]
    outcome = evaluate(rule=rule, approvers=approvers, decisions=vetoed, veto={holder})
    assert outcome.state == REJECTED and outcome.vetoed_by == holder


@given(data=st.data(), approvers=panels, made=decisions)
def test_one_more_approval_never_moves_an_approved_matter_back(data, approvers, made):
    rule = data.draw(rules(len(approvers)))
    before = evaluate(rule=rule, approvers=approvers, decisions=made)
    seat = data.draw(st.sampled_from(sorted(approvers)))
    after = evaluate(
        rule=rule,
        approvers=approvers,
        decisions=[*made, Decision(seat, APPROVE, T0 + timedelta(minutes=200))],
    )
    if before.state == APPROVED:
        assert after.state == APPROVED
    assert after.approvals >= before.approvals


@given(data=st.data(), approvers=panels, made=decisions, delegate=st.integers(20, 30))
def test_a_delegate_decides_for_the_holder_only_while_the_delegation_runs(
    data, approvers, made, delegate
):
    rule = data.draw(rules(len(approvers)))
    holder = data.draw(st.sampled_from(sorted(approvers)))
    verdict = data.draw(st.sampled_from([APPROVE, REJECT]))
    at = T0 + timedelta(minutes=150)
    away = Delegation(holder, delegate, T0 + timedelta(minutes=120), T0 + timedelta(minutes=180))
    others = [d for d in made if d.person != holder]
    by_holder = evaluate(
        rule=rule, approvers=approvers, decisions=[*others, Decision(holder, verdict, at)]
    )
    by_delegate = evaluate(
        rule=rule,
        approvers=approvers,
        decisions=[*others, Decision(delegate, verdict, at)],
        delegations=[away],
    )
    assert (by_delegate.state, by_delegate.approvals) == (by_holder.state, by_holder.approvals)
    too_late = evaluate(
        rule=rule,
        approvers=approvers,
        decisions=[*others, Decision(delegate, verdict, T0 + timedelta(minutes=181))],
        delegations=[away],
    )
    assert too_late == evaluate(rule=rule, approvers=approvers, decisions=others)


def test_two_of_three_approve_and_the_matter_is_approved():
    outcome = evaluate(
        rule=Rule(M_OF_N, 2),
        approvers={1, 2, 3},
        decisions=[Decision(1, APPROVE, T0), Decision(3, APPROVE, T0 + timedelta(minutes=1))],
    )
    assert (outcome.state, outcome.approvals, outcome.needed) == (APPROVED, 2, 2)


def test_two_rejections_of_three_make_two_of_three_unreachable():
    outcome = evaluate(
        rule=Rule(M_OF_N, 2),
        approvers={1, 2, 3},
        decisions=[Decision(1, REJECT, T0), Decision(2, REJECT, T0)],
    )
    assert outcome.state == REJECTED and outcome.vetoed_by is None


@pytest.mark.parametrize(
    ("rule", "seats"), [(Rule(M_OF_N, 4), 3), (Rule(M_OF_N, 0), 3), (Rule(ANY), 0)]
)
def test_an_impossible_rule_is_refused(rule, seats):
    with pytest.raises(ValueError):
        evaluate(rule=rule, approvers=range(1, seats + 1), decisions=[])


# --- Group seats: any one member fills a group's seat; one person's judgment fills one seat --


@given(data=st.data(), approvers=panels, made=decisions, veto=st.sets(people, max_size=2))
def test_seats_held_by_one_person_each_are_the_named_approvers(data, approvers, made, veto):
    rule = data.draw(rules(len(approvers)))
    # Seats 101, 102… each held by one approver behave exactly as the approvers themselves.
    seat_of = {p: 100 + p for p in approvers | veto}
    grouped = evaluate(
        rule=rule,
        approvers=[seat_of[p] for p in approvers],
        veto=[seat_of[p] for p in veto],
        members={seat_of[p]: {p} for p in approvers | veto},
        decisions=made,
    )
    plain = evaluate(rule=rule, approvers=approvers, decisions=made, veto=veto)
    assert (grouped.state, grouped.approvals, grouped.rejections) == (
        plain.state,
        plain.approvals,
        plain.rejections,
    )


@given(members=st.sets(people, min_size=1, max_size=6), made=decisions)
def test_a_group_seat_counts_once_however_many_members_decide(members, made):
    outcome = evaluate(rule=Rule(ANY), approvers=[100], members={100: members}, decisions=made)
    assert outcome.approvals + outcome.rejections <= 1
    first = next(
        (
            d.verdict
            for d in sorted(made, key=lambda d: (d.at, d.person, d.verdict))
            if d.person in members and d.verdict != DEFER
        ),
        None,
    )
    assert outcome.state == {None: OPEN, APPROVE: APPROVED, REJECT: REJECTED}[first]


@given(seats=st.integers(2, 5), times=st.integers(1, 4))
def test_one_person_in_every_group_fills_one_seat_however_often_they_decide(seats, times):
    groups = {100 + i: {1, 10 + i} for i in range(seats)}
    made = [Decision(1, APPROVE, T0 + timedelta(minutes=i)) for i in range(times)]
    outcome = evaluate(rule=Rule(ALL), approvers=groups, members=groups, decisions=made)
    assert (outcome.state, outcome.approvals) == (OPEN, 1)


def test_a_delegate_fills_a_group_seat_for_a_member_who_is_away():
    away = Delegation(holder=2, delegate=9, starts=T0, ends=T0 + timedelta(days=3))
    outcome = evaluate(
        rule=Rule(ALL),
        approvers=[100, 200],
        members={100: {1}, 200: {2, 3}},
        decisions=[
            Decision(1, APPROVE, T0 + timedelta(hours=1)),
            Decision(9, APPROVE, T0 + timedelta(hours=2)),
        ],
        delegations=[away],
    )
    assert (outcome.state, outcome.approvals) == (APPROVED, 2)
    assert outcome.counted[-1] == (200, 9, APPROVE)


def test_a_member_of_the_veto_group_rejects_outright():
    outcome = evaluate(
        rule=Rule(ANY),
        approvers=[100],
        veto=[900],
        members={100: {1}, 900: {7, 8}},
        decisions=[Decision(8, REJECT, T0), Decision(1, APPROVE, T0 + timedelta(minutes=1))],
    )
    assert (outcome.state, outcome.vetoed_by) == (REJECTED, 900)
