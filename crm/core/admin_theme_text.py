"""Text of the admin theme (django-unfold) that no catalog translates: unfold ships no Spanish or Arabic
translations, and Django's admin catalogs do not hold these strings. Listed here so that `makemessages` puts them
in our catalogs (locale/), which then translate unfold's templates too. tests/test_translations.py checks that
every string unfold's templates translate is in the catalogs of every language we speak.
"""

from django.utils.translation import gettext_noop

ADMIN_THEME_TEXT = [
    gettext_noop("Add row"),
    gettext_noop("After you've created a user, you’ll be able to edit more user options."),  # noqa: RUF001
    gettext_noop("All applications"),
    gettext_noop("Apply Filters"),
    gettext_noop("Choose file to upload"),
    gettext_noop("Click to cancel"),
    gettext_noop("Click to download"),
    gettext_noop("Dark"),
    gettext_noop("Date from"),
    gettext_noop("Date to"),
    gettext_noop("Expand row"),
    gettext_noop("False"),
    gettext_noop("General"),
    gettext_noop("Go back"),
    gettext_noop("Image preview"),
    gettext_noop("Light"),
    gettext_noop("Loading more results..."),
    gettext_noop("More actions"),
    gettext_noop("Next"),
    gettext_noop("No data"),
    gettext_noop("No recent searches"),
    gettext_noop("No results found"),
    gettext_noop("No results matching your query"),
    gettext_noop("Not enough data."),
    gettext_noop("Previous"),
    gettext_noop("Recent searches"),
    gettext_noop("Record picture"),
    gettext_noop("Reset filters"),
    gettext_noop("Return to site"),
    gettext_noop("Run"),
    gettext_noop("Search apps and models..."),
    gettext_noop("Select action"),
    gettext_noop("Select action to run"),
    gettext_noop("Select all rows"),
    gettext_noop("Select currency"),
    gettext_noop("Select record"),
    gettext_noop("This item will be deleted."),
    gettext_noop("This page yielded into no results. Create a new item or reset your filters."),
    gettext_noop("Time"),
    gettext_noop("Toggle password visibility"),
    gettext_noop("True"),
    gettext_noop("Type to search"),
    gettext_noop("You have been successfully logged out from the administration"),
]
