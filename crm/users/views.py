"""The admin's language switch: Django's `set_language`, remembered on the staff member's own record."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from crm.core.i18n import supported_language
from crm.users import services


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language (cookie, as Django does) and keep it as the staff member's language."""
    response = django_set_language(request)
    language = supported_language(request.POST.get("language"))
    if language and request.user.is_authenticated and request.user.is_staff:
        services.set_language(request.user, language=language)
    return response
