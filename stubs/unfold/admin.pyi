# django-unfold ships no types: the admin classes the project subclasses, typed as Django's own.
from typing import TypeVar

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline as DjangoGenericTabularInline
from django.db.models import Model
from django.forms import Widget

_ModelT = TypeVar("_ModelT", bound=Model)
_ChildModelT = TypeVar("_ChildModelT", bound=Model)
_ParentModelT = TypeVar("_ParentModelT", bound=Model)

checkbox: Widget

class ModelAdmin(admin.ModelAdmin[_ModelT]):
    change_form_outer_before_template: str | None
    compressed_fields: bool
    warn_unsaved_form: bool
    list_filter_submit: bool
    list_fullwidth: bool

class TabularInline(admin.TabularInline[_ChildModelT, _ParentModelT]):
    tab: bool

class StackedInline(admin.StackedInline[_ChildModelT, _ParentModelT]):
    tab: bool

class GenericTabularInline(DjangoGenericTabularInline):
    tab: bool
