from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset` with a total `count`; `limit` is capped so one call cannot dump a table."""

    default_limit = 50
    max_limit = 500
