"""Walking every page of a search, so callers never handle page numbers (Chorus Pro pages by 10)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from chorus_connect.api._exceptions import UnexpectedResponseError
from chorus_connect.api.models._base import PagedRequest, PagedResponse

DEFAULT_PAGE_SIZE = 100
# A guard against a server that ignores the page number and answers the same full page forever.
MAX_PAGES = 100_000

RequestT = TypeVar("RequestT", bound=PagedRequest)


def paginate(
    fetch: Callable[[RequestT], PagedResponse],
    request: RequestT,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    operation: str | None = None,
) -> Iterator[Any]:
    """Yield the items of every page, fetching pages lazily, starting from ``request``'s page (default 1).

    Stops at the last page announced by ``parametresRetour`` (``pages``, else ``total``); without paging
    information, at the first short or empty page.
    """
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    page = request.paging.page if request.paging is not None else 1
    seen = (page - 1) * page_size  # items before the first requested page, to compare with ``total``
    for _ in range(MAX_PAGES):
        response = fetch(request.for_page(page, page_size))
        items = response.page_items()
        yield from items
        seen += len(items)
        if _is_last_page(response, page, len(items), seen, page_size):
            return
        page += 1
    raise UnexpectedResponseError(
        f"The search did not end after {MAX_PAGES} pages: the server seems to ignore the page number.",
        operation=operation,
    )


def _is_last_page(response: PagedResponse, page: int, count: int, seen: int, page_size: int) -> bool:
    if count == 0:
        return True
    info = response.page_info
    if info is None:
        return count < page_size
    if info.pages is not None:
        return page >= info.pages
    if info.total is not None:
        return seen >= info.total
    # The server may cap the page size below what was asked: compare with the size it says it used.
    return count < (info.page_size or page_size)
