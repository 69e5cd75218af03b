"""The API's pages: cursors, so a list is stable while rows are added and never counts 10,000
rows to show 50."""

from rest_framework.pagination import CursorPagination

MAX_PAGE_SIZE = 200


class Cursor(CursorPagination):
    """`?page_size=` up to MAX_PAGE_SIZE (default 50; anything else falls back to it) and
    `?ordering=` one of the view's fields; `next` and `previous` are opaque links."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "code"


class ByProject(Cursor):
    ordering = "project"
