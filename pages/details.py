"""Pages of details (``<dl>``: a term, then its definition), read by term in one call.

Symantec's order page, PM's transaction page and the customer's portal all show an order as a
list of details; the reading, and the drift it reports when the list's structure changed, is
the same for all of them.
"""

from __future__ import annotations

from pages.base import PageObject
from pages.locators import Loc, role
from runner.errors import ErrorCode


class DescriptionList(PageObject):
    """A page of details: terms and their definitions (``<dl>``), read by term."""

    terms = role("term", many=True)
    definitions = role("definition", many=True)

    def details(self, *wanted: Loc) -> dict[Loc, str]:
        """Read the list: ``wanted`` are declared term locators, answered by locator.

        Each term pairs with the element after it, its definition (a list's structure); all
        of them are read in one call to the browser (``PAIRS``), where a read of the terms and
        one of the definitions took two. A term with no element after it is drift on the
        definitions; so is a wanted term the page lacks, on that term's locator. Whether the
        definitions still have their role is the nightly check's to say (``definitions``)."""
        pairs = self._pairs()
        if not pairs:
            if not self.appears(self.loc(self.terms).first):
                raise self.drift(self.terms, "matched no visible element",
                                 ErrorCode.LOCATOR_MISSING)
            pairs = self._pairs()
        alone = [term for term, definition in pairs if definition is None]
        if alone:
            raise self.drift(self.definitions, f"found none after {', '.join(alone)}")
        read = {term: str(definition) for term, definition in pairs}
        found: dict[Loc, str] = {}
        for spec in wanted:
            term = spec.args[0]
            if term not in read:
                raise self.drift(spec, f"matched no term (terms: {', '.join(read)})",
                                 code=ErrorCode.LOCATOR_MISSING)
            found[spec] = read[term]
        return found

    def _pairs(self) -> list[tuple[str, str | None]]:
        """Every term with its definition's text (None: none after it), whitespace collapsed."""
        raw = self.loc(self.terms).evaluate_all(PAIRS)
        return [(" ".join(term.split()), None if definition is None
                 else " ".join(definition.split())) for term, definition in raw]


# Each term's text and that of the element after it, unless that is a term too (text content,
# as ``texts`` reads: what the page says, not what CSS paints).
PAIRS = """terms => terms.map(term => {
    const next = term.nextElementSibling;
    return [term.textContent, next && !terms.includes(next) ? next.textContent : null];
})"""
