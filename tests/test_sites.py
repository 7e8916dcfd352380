"""Sites: the count of people present, and the list of members that the loss clock draws from."""

from __future__ import annotations

from types import SimpleNamespace

from sim.model.sites import Site


def _people(*names: str) -> dict[str, SimpleNamespace]:
    return {name: SimpleNamespace(victim=index, place=-1) for index, name in enumerate(names)}


def _assert_places_match(site: Site) -> None:
    assert site.members is not None
    for index, member in enumerate(site.members):
        assert member.place == index


def test_leaving_moves_the_last_member_into_the_leavers_place():
    """By hand: a, b, c, d enter; b leaves (d takes its place); c leaves (the last one: nothing moves);
    a leaves (d, now last, takes place 0)."""
    site, p = Site("holding", None, track_members=True), _people("a", "b", "c", "d", "e")
    for name in "abcd":
        site.enter(p[name])
    assert [m.victim for m in site.members] == [0, 1, 2, 3] and site.count == 4
    site.leave(p["b"])
    assert [m.victim for m in site.members] == [0, 3, 2] and p["b"].place == -1
    _assert_places_match(site)
    site.leave(p["c"])
    assert [m.victim for m in site.members] == [0, 3]
    site.leave(p["a"])
    assert [m.victim for m in site.members] == [3] and p["d"].place == 0 and site.count == 1
    site.enter(p["e"])  # a newcomer joins at the end
    assert [m.victim for m in site.members] == [3, 4] and p["e"].place == 1
    _assert_places_match(site)


def test_a_site_without_losses_only_counts():
    site, p = Site("shelter", 10, track_members=False), _people("a", "b")
    site.enter(p["a"])
    site.enter(p["b"])
    site.leave(p["a"])
    assert site.count == 1 and site.members is None and p["a"].place == -1  # places untouched
