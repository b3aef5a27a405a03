# django-unfold ships no types: its `display` and `action` keep the decorated function's type.
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from django.utils.functional import _StrOrPromise

_F = TypeVar("_F", bound=Callable[..., Any])

@overload
def display(function: _F) -> _F: ...
@overload
def display(
    *,
    boolean: bool | None = ...,
    image: bool | None = ...,
    ordering: Any = ...,
    description: _StrOrPromise | None = ...,
    empty_value: _StrOrPromise | None = ...,
    dropdown: bool | None = ...,
    label: bool | str | dict[Any, str] | None = ...,
    header: bool | None = ...,
) -> Callable[[_F], _F]: ...
@overload
def action(function: _F) -> _F: ...
@overload
def action(
    *,
    permissions: Iterable[str] | None = ...,
    description: _StrOrPromise | None = ...,
    url_path: str | None = ...,
    attrs: dict[str, Any] | None = ...,
    icon: str | None = ...,
    variant: Any = ...,
    dialog: Any = ...,
) -> Callable[[_F], _F]: ...
