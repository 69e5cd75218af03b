"""Project pages as assistive technology reads them: the section bar is a navigation of links
(not a tab list without tab panels), and a heat-map cell's link is named by the text it shows.
The whole pages are checked with axe-core in tests/test_accessibility_browser.py."""

from __future__ import annotations

import re

import pytest
from django.utils.html import strip_tags

from projects.tests.factories import RiskFactory

pytestmark = pytest.mark.django_db


def test_the_project_sections_are_a_navigation_with_the_current_page_marked(client, pm, project):
    client.force_login(pm)
    page = client.get(f"/projects/{project.pk}/milestones/").text

    assert 'role="tablist"' not in page
    nav = re.search(r'<nav[^>]*aria-label="Project sections"[^>]*>(.*?)</nav>', page, re.S)
    assert nav is not None
    current = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]*)</a>', nav.group(1))
    assert current == ["Milestones"]


def test_a_heat_map_link_is_named_by_its_visible_count_and_score(client, pm, project):
    RiskFactory(project=project, probability=4, impact=3)
    RiskFactory(project=project, probability=4, impact=3)
    client.force_login(pm)
    page = client.get(f"/projects/{project.pk}/raid/?kind=risks").text

    cell = re.search(r'data-testid="heat-4-3">\s*(<a [^>]*>.*?</a>)', page, re.S).group(1)
    # No aria-label overriding the content: the name is the text, count and score included.
    assert "aria-label" not in cell.split(">", 1)[0]
    name = " ".join(strip_tags(cell).split())
    assert name == "2 open risks, score 12: probability 4 (Likely) × impact 3 (Moderate)"
