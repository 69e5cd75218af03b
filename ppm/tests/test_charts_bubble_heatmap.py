"""The bubble chart and the heat map: valid, escaped SVG; bubble areas proportional to their
size and drawn largest first; links kept within the site; heat cells coloured by band with
legible text; many columns fitting the width."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from decimal import Decimal
from itertools import pairwise

import pytest

from ppm.charts import (
    HEALTH_COLOURS,
    HEALTH_MARKERS,
    LOAD_COLOURS,
    Axis,
    Bubble,
    BubbleCategory,
    BubbleChart,
    ColourBand,
    GuideLine,
    HeatCell,
    HeatMap,
    HeatRow,
    compact,
    render_svg,
)
from ppm.charts.palette import INK, WHITE, contrast, darken, text_colour_on
from ppm.charts.svg import CHAR_WIDTH, safe_href

NS = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(\"x\")</script> & 'quotes'"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("class") == css_class]


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{NS}text")]


def links(root: ET.Element) -> list[str]:
    return [a.get("href") for a in root.iter(f"{NS}a")]


# --- The bubble chart ---------------------------------------------------------------------------

HEALTH = [
    BubbleCategory(key, label, HEALTH_COLOURS[key], HEALTH_MARKERS[key])
    for key, label in [
        ("green", "On track"),
        ("amber", "At risk"),
        ("red", "Off track"),
        ("none", "No report"),
    ]
]


def bubble_chart(bubbles, **kwargs) -> BubbleChart:
    defaults = {
        "title": "Risk against priority",
        "description": "Open projects.",
        "id": "risk-value",
        "x_axis": Axis("Risk exposure"),
        "y_axis": Axis("Priority score", minimum=Decimal(0), maximum=Decimal(100)),
        "bubbles": bubbles,
        "categories": HEALTH,
    }
    defaults.update(kwargs)
    return BubbleChart(**defaults)


def areas(root: ET.Element) -> list[ET.Element]:
    return [c for c in root.iter(f"{NS}circle") if c.get("class") == "area"]


def test_one_bubble_per_project_with_area_proportional_to_its_size():
    bubbles = [
        Bubble(10, Decimal("50"), Decimal("100000"), "green", note="small"),
        Bubble(40, Decimal("70"), Decimal("400000"), "amber", note="medium"),
        Bubble(80, Decimal("20"), Decimal("1600000"), "red", note="large"),
    ]
    root = parse(render_svg(bubble_chart(bubbles)))
    assert root.get("viewBox").startswith("0 0 760 ")
    assert root.find(f"{NS}title").text == "Risk against priority"
    circles = areas(root)
    assert len(circles) == 3
    radius = {c.get("cx"): float(c.get("r")) for c in circles}
    by_note = {
        g.find(f"{NS}title").text: float(g.find(f"{NS}circle").get("r"))
        for g in groups(root, "bubble")
    }
    assert len(radius) == 3
    # Sixteen times the size, four times the radius: area, not radius, tracks the figure.
    assert by_note["large"] == pytest.approx(4 * by_note["small"], rel=0.02)
    assert by_note["medium"] == pytest.approx(2 * by_note["small"], rel=0.02)
    # Largest first, so that the small ones are drawn on top and stay clickable.
    drawn = [float(c.get("r")) for c in circles]
    assert drawn == sorted(drawn, reverse=True)


def test_a_bubble_without_a_size_still_shows_at_the_smallest_radius():
    bubbles = [
        Bubble(1, Decimal(10), None, "green", note="none"),
        Bubble(2, Decimal(20), Decimal(0), "green", note="zero"),
        Bubble(3, Decimal(30), Decimal(1), "green", note="tiny"),
        Bubble(4, Decimal(40), Decimal(1000000), "green", note="big"),
    ]
    chart = bubble_chart(bubbles, min_radius=6.0)
    radius = {
        g.find(f"{NS}title").text: float(g.find(f"{NS}circle").get("r"))
        for g in groups(parse(render_svg(chart)), "bubble")
    }
    assert radius["none"] == radius["zero"] == radius["tiny"] == 6
    assert radius["big"] > 20


def test_a_bubble_cannot_have_a_negative_size():
    with pytest.raises(ValueError, match="negative"):
        Bubble(1, 1, Decimal("-1"), "green")


def test_a_bubble_of_an_undefined_category_is_refused():
    with pytest.raises(ValueError, match="category 'blue'"):
        render_svg(bubble_chart([Bubble(1, Decimal(1), 1, "blue")]))


def test_projects_without_a_position_are_left_out_and_counted():
    bubbles = [
        Bubble(5, None, Decimal(100), "green"),
        Bubble(None, Decimal(10), Decimal(100), "green"),
        Bubble(5, Decimal(10), Decimal(100), "red"),
    ]
    chart = bubble_chart(bubbles, skipped_note="{count} projects not shown: no priority score.")
    root = parse(render_svg(chart))
    assert len(areas(root)) == 1
    assert root.find(f"{NS}desc").text == (
        "Open projects. 2 projects not shown: no priority score."
    )
    assert "2 projects not shown: no priority score." in texts(groups(root, "notes")[0])


def test_links_are_kept_only_when_they_stay_within_the_site():
    hrefs = [
        "/projects/7/",
        "?portfolio=2&health=red",
        "javascript:alert(1)",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        'data:text/html,"<x>',
        "",
    ]
    bubbles = [Bubble(i, Decimal(i), Decimal(i + 1), "green", href=h) for i, h in enumerate(hrefs)]
    svg = render_svg(bubble_chart(bubbles))
    root = parse(svg)
    assert sorted(links(root)) == sorted(["/projects/7/", "?portfolio=2&health=red"])
    assert "&amp;health" in svg  # escaped in the attribute
    assert len(areas(root)) == len(hrefs)  # unlinked bubbles are still drawn
    for anchor in root.iter(f"{NS}a"):
        assert anchor.find(f"{NS}g").get("class") == "bubble"


def test_safe_href_refuses_everything_that_leaves_the_site():
    assert safe_href("/p/1/?tab=risks") == "/p/1/?tab=risks"
    assert safe_href("?page=2") == "?page=2"
    for bad in ("//x.org", "/\\x.org", "http://x", "javascript:x", " /x", "/x y", "/x\n", None):
        assert safe_href(bad) is None, bad


def test_every_text_in_a_bubble_chart_is_escaped():
    chart = bubble_chart(
        [Bubble(1, Decimal(1), Decimal(5), "x", note=EVIL, label=EVIL)],
        title=EVIL,
        description=EVIL,
        categories=[BubbleCategory("x", EVIL)],
        guides=[GuideLine("x", 1, EVIL)],
        size_note=EVIL,
        x_axis=Axis(EVIL),
    )
    svg = render_svg(chart)
    assert "<script>" not in svg
    root = parse(svg)
    assert groups(root, "bubble")[0].find(f"{NS}title").text == EVIL
    legend = groups(root, "legend")[0]
    assert "".join(legend.itertext()) == EVIL
    assert EVIL in texts(root)  # axis title, guide label, size note


def test_the_legend_shows_each_category_with_its_own_centre_shape():
    bubbles = [Bubble(i, Decimal(i), Decimal(1), c.key) for i, c in enumerate(HEALTH)]
    root = parse(render_svg(bubble_chart(bubbles)))
    legend = groups(root, "legend")[0]
    assert texts(legend) == ["On track", "At risk", "Off track", "No report"]
    shapes = [
        (e.tag.removeprefix(NS), len((e.get("points") or "").split()))
        for e in legend
        if e.get("class") == "glyph"
    ]
    assert shapes == [("circle", 0), ("polygon", 3), ("rect", 0), ("polygon", 4)]
    # The same shapes sit in the bubbles: colour is not the only signal.
    bubble_glyphs = {
        g.get("data-category"): next(e.tag for e in g if e.get("class") == "glyph")
        for g in groups(root, "bubble")
    }
    assert bubble_glyphs["green"] == f"{NS}circle"
    assert bubble_glyphs["amber"] == f"{NS}polygon"
    assert bubble_glyphs["red"] == f"{NS}rect"
    fills = {
        g.get("data-category"): g.find(f"{NS}circle").get("fill") for g in groups(root, "bubble")
    }
    assert fills == HEALTH_COLOURS
    strokes = {g.find(f"{NS}circle").get("stroke") for g in groups(root, "bubble")}
    assert darken(HEALTH_COLOURS["amber"], 0.2) in strokes  # a solid, darker outline


def test_guide_lines_divide_the_plot_and_carry_their_labels():
    chart = bubble_chart(
        [Bubble(10, Decimal(30), Decimal(1), "green"), Bubble(90, Decimal(80), Decimal(1), "red")],
        guides=[GuideLine("x", 50, "High risk"), GuideLine("y", Decimal(50), "Priority 50")],
    )
    root = parse(render_svg(chart))
    guides = groups(root, "guides")[0]
    vertical, horizontal = guides.findall(f"{NS}line")
    assert vertical.get("x1") == vertical.get("x2")
    assert horizontal.get("y1") == horizontal.get("y2")
    assert texts(guides) == ["High risk", "Priority 50"]
    circles = {g.get("data-category"): g.find(f"{NS}circle") for g in groups(root, "bubble")}
    # The low-risk bubble is left of the line, the high-priority one above the other line.
    assert float(circles["green"].get("cx")) < float(vertical.get("x1"))
    assert float(circles["red"].get("cy")) < float(horizontal.get("y1"))


def test_the_size_note_names_the_largest_value():
    chart = bubble_chart(
        [Bubble(1, Decimal(1), Decimal("4200000"), "green")],
        size_note="Bubble area: budget at completion",
        size_format=lambda d: f"€{d / 1000000:.1f}m",
    )
    notes = texts(groups(parse(render_svg(chart)), "notes")[0])
    assert notes == ["Bubble area: budget at completion (largest: €4.2m)"]


def test_bubble_labels_are_written_beside_bubbles_without_overlapping():
    bubbles = [
        Bubble(i % 5, Decimal(i // 5 * 10), Decimal(10 + i), "green", label=f"PRJ-{i:03d}")
        for i in range(30)
    ]
    root = parse(render_svg(bubble_chart(bubbles)))
    shown = [t for t in groups(root, "labels")[0] if t.get("aria-hidden") is None]
    assert shown  # some labels fit…
    assert len(shown) < 30  # …and the crowded ones are left to their hover note
    boxes = []
    for text in shown:
        width = len(text.text) * CHAR_WIDTH
        x, y = float(text.get("x")), float(text.get("y"))
        x0 = {"start": x, "end": x - width, "middle": x - width / 2}[text.get("text-anchor")]
        boxes.append((x0, y - 11, x0 + width, y + 3))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_an_empty_bubble_chart_says_so():
    root = parse(render_svg(bubble_chart([], empty_message="No open projects.")))
    assert areas(root) == []
    assert "No open projects." in texts(root)


def test_every_bubble_stays_inside_the_plot():
    bubbles = [
        Bubble(0, Decimal(0), Decimal(9000000), "green"),
        Bubble(120, Decimal(100), Decimal(9000000), "red"),
    ]
    for chart in (bubble_chart(bubbles), compact(bubble_chart(bubbles))):
        root = parse(render_svg(chart))
        clip = root.find(f"{NS}defs/{NS}clipPath/{NS}rect")
        left, top = float(clip.get("x")), float(clip.get("y"))
        right, bottom = left + float(clip.get("width")), top + float(clip.get("height"))
        for circle in areas(root):
            cx, cy, r = (float(circle.get(k)) for k in ("cx", "cy", "r"))
            assert left <= cx - r and cx + r <= right
            assert top <= cy - r and cy + r <= bottom


def test_the_compact_bubble_chart_draws_the_same_bubbles_narrower():
    bubbles = [Bubble(i, Decimal(i * 10), Decimal(i + 1), "green") for i in range(6)]
    wide, small = bubble_chart(bubbles), compact(bubble_chart(bubbles))
    wide_root, small_root = parse(render_svg(wide)), parse(render_svg(small))
    assert small_root.get("viewBox").startswith("0 0 420 ")
    assert len(areas(small_root)) == len(areas(wide_root)) == 6
    assert small_root.find(f"{NS}title").get("id") == "risk-value-compact-title"


# --- The heat map -------------------------------------------------------------------------------

BANDS = [
    ColourBand("Under 80%", LOAD_COLOURS[0], Decimal("0.8")),
    ColourBand("80–100%", LOAD_COLOURS[1], Decimal("1.0")),
    ColourBand("100–120%", LOAD_COLOURS[2], Decimal("1.2")),
    ColourBand("Over 120%", LOAD_COLOURS[3]),
]


def months(count: int) -> list[str]:
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return [f"{names[i % 12]} {2027 + i // 12}" for i in range(count)]


def heat_map(rows, columns, **kwargs) -> HeatMap:
    defaults = {
        "title": "Capacity against demand",
        "description": "Booked hours over capacity, by month and resource group.",
        "id": "capacity",
        "columns": columns,
        "rows": rows,
        "bands": BANDS,
    }
    defaults.update(kwargs)
    return HeatMap(**defaults)


def cells(root: ET.Element) -> list[ET.Element]:
    return groups(root, "cell")


def ratio_cell(value: str | None) -> HeatCell:
    if value is None:
        return HeatCell(None, "–", "no capacity")
    ratio = Decimal(value)
    return HeatCell(ratio, f"{ratio * 100:.0f}%", f"Developers: {ratio}")


def test_each_cell_takes_the_colour_of_its_band_with_upper_bounds_included():
    values = ["0.5", "0.8", "0.81", "1.0", "1.01", "1.2", "1.21", "3", None]
    chart = heat_map([HeatRow("Developers", [ratio_cell(v) for v in values])], months(9))
    root = parse(render_svg(chart))
    fills = [c.find(f"{NS}rect").get("fill") for c in cells(root)]
    c0, c1, c2, c3 = LOAD_COLOURS
    assert fills == [c0, c0, c1, c1, c2, c2, c3, c3, WHITE]
    assert [c.find(f"{NS}title").text for c in cells(root)][2] == "Developers: 0.81"
    assert [c.find(f"{NS}text").text for c in cells(root)][:3] == ["50%", "80%", "81%"]
    legend = groups(root, "legend")[0]
    assert texts(legend) == ["Under 80%", "80–100%", "100–120%", "Over 120%", "No value"]


def test_the_legend_names_no_missing_band_when_every_cell_has_a_value():
    chart = heat_map([HeatRow("Testers", [ratio_cell("0.9")])], ["Jan 2027"])
    legend = groups(parse(render_svg(chart)), "legend")[0]
    assert texts(legend) == ["Under 80%", "80–100%", "100–120%", "Over 120%"]


def test_cell_text_is_dark_on_light_cells_and_white_on_dark_ones():
    values = ["0.5", "0.9", "1.1", "1.5"]
    root = parse(render_svg(heat_map([HeatRow("D", [ratio_cell(v) for v in values])], months(4))))
    colours = [c.find(f"{NS}text").get("fill") for c in cells(root)]
    assert colours == [INK, INK, INK, WHITE]
    for cell in cells(root):
        fill = cell.find(f"{NS}rect").get("fill")
        assert contrast(fill, cell.find(f"{NS}text").get("fill")) >= 4.5


def test_text_colour_picks_the_better_contrast():
    assert text_colour_on("#ffffff") == INK
    assert text_colour_on("#000000") == WHITE
    assert text_colour_on("#a63c06") == WHITE
    assert contrast("#ffffff", "#000000") == pytest.approx(21)


def test_the_load_colours_darken_step_by_step_for_grey_scale_prints():
    from ppm.charts.palette import luminance

    levels = [luminance(c) for c in LOAD_COLOURS]
    assert levels == sorted(levels, reverse=True)
    assert all(a - b > 0.08 for a, b in pairwise(levels))


@pytest.mark.parametrize(("count", "width"), [(6, 760), (12, 760), (24, 760), (12, 420)])
def test_every_column_fits_the_width_and_keeps_its_text(count, width):
    rows = [
        HeatRow(name, [ratio_cell("1.12") for _ in range(count)])
        for name in ("Developers", "Business analysts", "Testers")
    ]
    root = parse(render_svg(heat_map(rows, months(count), width=width)))
    assert root.get("viewBox").startswith(f"0 0 {width} ")
    drawn = cells(root)
    assert len(drawn) == 3 * count
    for cell in drawn:
        rect = cell.find(f"{NS}rect")
        assert (
            float(rect.get("x")) >= 0 and float(rect.get("x")) + float(rect.get("width")) <= width
        )
        text = cell.find(f"{NS}text")
        assert text is not None and text.text == "112%"
        size = float(text.get("font-size"))
        assert size >= 8
        assert len("112%") * size * 0.6 <= float(rect.get("width"))
    headings = groups(root, "columns")[0]
    assert texts(headings) == months(count)


def test_too_many_columns_for_a_phone_keep_their_notes_and_every_other_heading():
    rows = [HeatRow("Developers", [ratio_cell("1.12") for _ in range(24)])]
    root = parse(render_svg(compact(heat_map(rows, months(24)))))
    assert len(cells(root)) == 24
    assert all(c.find(f"{NS}title").text for c in cells(root))
    shown = texts(groups(root, "columns")[0])
    assert 6 <= len(shown) < 24
    assert shown[0] == "Jan 2027"
    for heading in groups(root, "columns")[0]:
        assert float(heading.get("x")) < 420


def test_long_row_labels_are_cut_short_with_the_whole_label_on_hover():
    name = "Infrastructure and network engineering, second line"
    root = parse(render_svg(heat_map([HeatRow(name, [ratio_cell("0.5")])], ["Jan 2027"])))
    label = next(t for t in root.iter(f"{NS}text") if t.get("class") == "row-label")
    assert label.find(f"{NS}title").text == name
    shown = "".join(label.itertext()).replace(name, "")
    assert shown.endswith("…") and len(shown) < len(name)


def test_heat_map_links_stay_within_the_site_and_text_is_escaped():
    row = HeatRow(
        EVIL,
        [
            HeatCell(Decimal("0.5"), EVIL, EVIL, href="/capacity/?group=3&month=2027-01"),
            HeatCell(Decimal("0.5"), "50%", "n", href="javascript:alert(1)"),
        ],
    )
    svg = render_svg(heat_map([row], [EVIL, "Feb 2027"], title=EVIL))
    assert "<script>" not in svg
    root = parse(svg)
    assert links(root) == ["/capacity/?group=3&month=2027-01"]
    assert cells(root)[0].find(f"{NS}title").text == EVIL
    assert cells(root)[0].find(f"{NS}text").text == EVIL
    assert root.find(f"{NS}title").text == EVIL


def test_an_empty_heat_map_says_so():
    root = parse(render_svg(heat_map([], months(3), empty_message="No capacity planned.")))
    assert cells(root) == []
    assert "No capacity planned." in texts(root)
    assert groups(root, "legend") == []


def test_a_heat_map_refuses_bands_out_of_order_or_rows_of_the_wrong_length():
    with pytest.raises(ValueError, match="bands"):
        heat_map([], [], bands=[ColourBand("a", "#fff", 2), ColourBand("b", "#000", 1)])
    with pytest.raises(ValueError, match="bands"):
        heat_map([], [], bands=[ColourBand("a", "#fff", 2)])
    with pytest.raises(ValueError, match="2 columns"):
        heat_map([HeatRow("D", [ratio_cell("1")])], ["Jan", "Feb"])


def test_a_colour_that_is_not_a_colour_falls_back_to_grey():
    bands = [ColourBand("All", 'red" onclick="x')]
    root = parse(render_svg(heat_map([HeatRow("D", [ratio_cell("1")])], ["Jan"], bands=bands)))
    rect = cells(root)[0].find(f"{NS}rect")
    assert rect.get("onclick") is None
    assert rect.get("fill").startswith("#")
    assert math.isfinite(float(rect.get("width")))


# --- Accessibility: links inside a chart ---------------------------------------------------------


def test_a_chart_whose_marks_are_links_is_a_named_group_and_each_link_has_a_name():
    bubbles = [
        Bubble(1, Decimal(1), Decimal(2), "green", label="ERP-01", note="ERP-01: on track"),
        Bubble(2, Decimal(2), Decimal(3), "red", href="/projects/9/", label="CRM-02"),
        Bubble(3, Decimal(3), Decimal(4), "amber", href="/projects/8/", note="HR-05: at risk"),
    ]
    root = parse(render_svg(bubble_chart(bubbles)))
    # An image's content is presentational: links inside role="img" can be neither reached
    # by name nor announced (axe: nested-interactive).
    assert root.get("role") == "group"
    assert root.get("aria-labelledby") == "risk-value-title risk-value-desc"
    names = sorted(a.get("aria-label") for a in root.iter(f"{NS}a"))
    assert names == ["CRM-02", "HR-05: at risk"]


def test_a_chart_without_links_stays_one_image():
    unsafe = Bubble(1, Decimal(1), Decimal(2), "green", href="javascript:alert(1)", label="X")
    assert parse(render_svg(bubble_chart([unsafe]))).get("role") == "img"
    row = HeatRow("Developers", [ratio_cell("0.5")])
    assert parse(render_svg(heat_map([row], months(1)))).get("role") == "img"


def test_a_linked_heat_cell_is_named_by_its_note_which_holds_the_text_it_shows():
    row = HeatRow(
        "Developers",
        [HeatCell(Decimal("0.75"), "75%", "Developers, Jan 2027: 75%", href="/c/?m=1")],
    )
    root = parse(render_svg(heat_map([row], months(1))))
    assert root.get("role") == "group"
    (anchor,) = root.iter(f"{NS}a")
    assert anchor.get("aria-label") == "Developers, Jan 2027: 75%"
    assert "75%" in anchor.get("aria-label")


def test_the_health_colours_read_as_text_on_white_and_the_cell_text_on_every_load_band():
    assert contrast(HEALTH_COLOURS["green"], WHITE) >= 4.5
    assert contrast(HEALTH_COLOURS["red"], WHITE) >= 4.5
    for fill in LOAD_COLOURS:
        assert contrast(text_colour_on(fill), fill) >= 4.5
