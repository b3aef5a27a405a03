from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset` with a total `count`; `limit` is capped so one call cannot dump a table.

    A larger `limit` is served at the cap, not refused; `next` links carry the limit served, so following
    them pages through everything.
    """

    default_limit = 50
    max_limit = 500
    limit_query_description = (
        f"Number of results to return per page (default {default_limit}, at most {max_limit}: a larger limit is "
        "served as the maximum, and `next` pages on)."
    )
