"""Conductor's template helpers: money, percentages, RAG and state badges, sortable headers.

Load with `{% load conductor %}`. Formatting is deliberately locale-independent (thousands
separated by commas, "." for decimals) so a figure reads the same on screen, in exports and
in the PDF board pack.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.http import QueryDict
from django.utils.html import format_html

from ppm.markdown import render_markdown

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
DASH = "—"
MINUS = "−"  # U+2212: a real minus sign lines up with the digits in tabular figures


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # Money never comes from a float in Conductor; refuse rather than round silently.
        raise TypeError("money and percentages are Decimal, never float")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def format_money(value, currency: str = "", *, places: int = 0, signed: bool = False) -> str:
    """'€1,250,000' / '£12.50' / 'CHF 1,250' / '−€300'; '—' when there is no amount."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    quantum = Decimal(1).scaleb(-places)
    amount = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    digits = f"{abs(amount):,.{places}f}"
    code = (currency or "").upper()
    if code in CURRENCY_SYMBOLS:
        text = f"{CURRENCY_SYMBOLS[code]}{digits}"
    elif code:
        text = f"{code}\N{NO-BREAK SPACE}{digits}"
    else:
        text = digits
    if amount < 0:
        return f"{MINUS}{text}"
    if signed and amount > 0:
        return f"+{text}"
    return text


@register.filter
def fy(year: int, start_month=None) -> str:
    """A fiscal year as the organisation names it: FY2026, or FY2026/27 when it does not
    start in January (portfolio.selectors.fiscal_year_label). `{{ year|fy:fy_start }}` uses
    the start month the page has read (ppm.context_processors.fiscal_year reads it lazily,
    once a page asks); without it the policy is read."""
    from portfolio.selectors import fiscal_year_label

    start = int(str(start_month)) if start_month not in (None, "") else None
    return fiscal_year_label(int(year), start_month=start)


@register.filter
def money(value, currency: str = "") -> str:
    """Whole currency units, for dashboards and tables: `{{ p.bac|money:p.currency }}`."""
    return format_money(value, currency, places=0)


@register.filter
def money_exact(value, currency: str = "") -> str:
    """Two decimals, where cents matter (cost lines, invoices)."""
    return format_money(value, currency, places=2)


@register.filter
def money_delta(value, currency: str = "") -> str:
    """A change in money with its sign: '+€10,000', '−€5,000', '€0'."""
    return format_money(value, currency, places=0, signed=True)


@register.filter
def percent(value, places: int = 0) -> str:
    """'62%' from Decimal('62.4'); '—' when the figure is not defined."""
    number = _decimal(value)
    if number is None:
        return DASH
    quantum = Decimal(1).scaleb(-int(places))
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{abs(number):,.{int(places)}f}%"
    return f"{MINUS}{text}" if number < 0 else text


@register.filter
def width_class(value) -> str:
    """'w-pct-62' from Decimal('62.4'): a bar's width as a class (static/css/app.css) in whole
    percent from 0 to 100, because our CSP refuses style attributes."""
    number = _decimal(value)
    if number is None:
        return "w-pct-0"
    whole = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"w-pct-{min(max(whole, 0), 100)}"


def format_signed(number, unit: str = "") -> str:
    """A change with its sign and thousands separators: '+1,240 h', '−3 d', '0'."""
    text = f"{abs(number):,}{unit}"
    if number > 0:
        return f"+{text}"
    return f"{MINUS}{text}" if number < 0 else text


@register.filter
def signed_days(value) -> str:
    """Slip in days with its sign: '+12 d', '−3 d', '0 d'; '—' when unknown."""
    if value is None or value == "":
        return DASH
    return format_signed(int(value), " d")


# --- Badges -------------------------------------------------------------------------------

# Colour is never the only signal: each RAG value has its own shape and its word.
_RAG = {
    "green": ("●", "Green"),
    "amber": ("▲", "Amber"),
    "red": ("■", "Red"),
}


@register.simple_tag
def rag_badge(value: str | None, label: str = "") -> str:
    """A RAG badge with shape and text; 'No report' when there is no value."""
    if not value or value not in _RAG:
        return format_html('<span class="rag rag-none">{}</span>', label or "No report")
    shape, word = _RAG[value]
    title = f"{label}: {word}" if label else word
    return format_html(
        '<span class="rag rag-{}" title="{}"><span class="rag-shape" aria-hidden="true">{}</span>'
        "{}</span>",
        value,
        title,
        shape,
        word,
    )


@register.simple_tag
def state_badge(value: str, label: str) -> str:
    """The lifecycle state of a project as a quiet pill (`state-active`, `state-on_hold`…)."""
    return format_html('<span class="state state-{}">{}</span>', value, label)


# --- Navigation and tables ----------------------------------------------------------------


@register.filter
def is_section(path: str, url: str) -> bool:
    """True when `path` is `url` or below it: highlights the current navigation item."""
    if not url or url == "/" or not str(path).startswith(url):
        return False
    # A deeper navigation item (e.g. /projects/lessons/) claims its own paths.
    from ppm.navigation import NAV_ITEMS

    deeper = (item.url for item in NAV_ITEMS if item.url != url and item.url.startswith(url))
    return not any(str(path).startswith(d) for d in deeper)


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, current: str = "", numeric: bool = False) -> str:
    """A column header that sorts the table by `key`; a second click reverses the order.

    The link keeps every other query parameter (filters), drops the page (a new order starts
    at page 1), and carries an htmx hx-get to the same URL, so it also works without JavaScript.
    """
    request = context["request"]
    params: QueryDict = request.GET.copy()
    params.pop("page", None)
    ascending = current == key
    descending = current == f"-{key}"
    params["sort"] = f"-{key}" if ascending else key
    href = f"?{params.urlencode()}"
    aria = "ascending" if ascending else "descending" if descending else "none"
    arrow = "↑" if ascending else "↓" if descending else ""
    css = "text-end" if numeric else ""
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="sort-link" href="{}" hx-get="{}">'
        '{}<span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        css,
        aria,
        href,
        href,
        label,
        arrow,
    )


@register.filter
def field_class(bound_field, css: str = "form-control"):
    """Render a form field's widget with Bootstrap classes, marked invalid when it has errors
    (a drop-down gets Bootstrap's select styling, with its arrow, rather than a text box's)."""
    from django import forms

    if css == "form-control" and isinstance(bound_field.field.widget, forms.Select):
        css = "form-select"
    classes = css + (" is-invalid" if bound_field.errors else "")
    existing = bound_field.field.widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{existing} {classes}".strip()})


@register.filter
def days_between(later: date | None, earlier: date | None) -> int | None:
    """Whole days from `earlier` to `later`; None when either is missing."""
    if later is None or earlier is None:
        return None
    return (later - earlier).days


@register.filter
def add_days(day: date | None, days: int | None) -> date | None:
    """`day` moved by `days` (None stays None)."""
    if day is None or not days:
        return day
    return day + timedelta(days=int(days))


# --- User-written text --------------------------------------------------------------------


@register.filter(name="markdown")
def markdown_filter(text: str | None):
    """Markdown typed by a user, rendered and sanitised (ppm.markdown.render_markdown)."""
    return render_markdown(text)


@register.simple_tag(takes_context=True)
def query_without(context, *keys: str) -> str:
    """The current query string without `keys` (and without `page`), e.g. to drop a filter."""
    query = context["request"].GET.copy()
    for key in (*keys, "page"):
        query.pop(key, None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


_MONEY_FIGURES = {"bac", "pv", "ev", "ac", "eac", "etc", "vac", "cv", "sv", "emv"}


@register.simple_tag
def rollup_figure(rollup, field: str, currency: str = "") -> str:
    """One rollup figure as a list cell shows it: money in the portfolio's currency, counts
    as they are, "—" where the project has no rollup or the figure is not defined."""
    value = getattr(rollup, field, None) if rollup is not None else None
    if value is None:
        return format_html('<span class="muted">{}</span>', "—")
    if field in _MONEY_FIGURES:
        return money(value, currency)
    return str(value)


@register.simple_tag
def figure_value(value, unit: str, currency: str | None = "") -> str:
    """A catalogue figure (reporting/kpis.py) as tiles, lists and explanations print it, by
    its unit: money in its currency, ratios to two places, percentages to one, slip as signed
    days, "n/a" where it is not defined."""
    if value is None:
        return format_html('<span class="muted">{}</span>', "n/a")
    if unit == "money":
        return money_exact(value, currency or "")
    if unit == "ratio":
        return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if unit == "percent":
        return percent(value, 1)
    if unit == "days":
        return signed_days(value)
    return str(value)
