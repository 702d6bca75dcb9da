"""USSD pages of one reply: cut when it is too long for a screen, walked with "98 more" / "0 back".

The pages live in the session's own slots, so a flow variable can never
clobber them, and the next input that is not a paging key drops them.
"""

from __future__ import annotations

from engine.flow.channels import paginate
from engine.flow.model import CompiledFlow
from engine.session import Session
from engine.types import Wait

#: How a paged screen waits: "98"/"0" or a menu key.
PAGE_WAIT = Wait("choice", max_digits=2)


def turn_page(flow: CompiledFlow, s: Session, text: str) -> bool:
    """Apply a paging key to the pages on show; False (and the pages dropped) for any other input."""
    if not s.pages:
        return False
    nav = flow.nav[s.channel]
    if text in nav.more and s.page < len(s.pages) - 1:
        s.page += 1
    elif text in nav.back and s.page > 0:
        s.page -= 1
    else:
        drop(s)
        return False
    return True


def drop(s: Session) -> None:
    s.pages = []  # pragma: no mutate (equivalent: any empty value means no pages)
    s.pages_end = False  # pragma: no mutate (equivalent: read only while pages are shown)
    s.page = 0


def shown_page(s: Session, wait: Wait | None) -> tuple[str, Wait | None]:
    """The page on show after a paging key, and how to wait after it."""
    text = s.pages[s.page]
    if s.page < len(s.pages) - 1:
        return text, PAGE_WAIT
    if s.pages_end:
        return text, None
    return text, wait or PAGE_WAIT


def first_page(flow: CompiledFlow, s: Session, text: str, wait: Wait | None) -> tuple[str, Wait | None]:
    """Cut a fresh reply into pages; a reply that ended the dialog stays open until its last page."""
    drop(s)
    pages = paginate(text, *flow.footers(s.locale))
    if len(pages) == 1:
        return text, wait
    s.pages = list(pages)
    s.pages_end = wait is None
    return pages[0], PAGE_WAIT
