"""One router per API audience; each app's `api/urls.py` registers its viewsets on the right one."""

from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    include_root_view = False


backoffice = Router()
portal = Router()
affiliate = Router()
