"""One spelling per domain: what a ticket says becomes what the consoles and the store compare.

Support agents paste domains as customers write them: ``"SHOP.EXAMPLE "``, ``shop.example.``,
``bücher.example``. Left as they are, the same ticket re-triggered would look like another
order, and a customer would read their domain back in capitals. So every domain is normalised
once, where it enters the runner: surrounding space and one trailing dot (the DNS root) go,
letters are lowered, and international names become their ASCII (punycode) form by IDNA 2008
with the UTS 46 mapping, which is what certificates carry. Anything that is still not a host
name (a space or control character inside, an empty or over-long label) is an input error with
the stable code ``domain_invalid``.

Pure functions of their argument, with no I/O: the CLI, the service and the config checks call
the same ones.
"""

from __future__ import annotations

import re
import unicodedata

from runner.errors import ErrorCode, InputError

DOMAIN_INPUTS = ("domain",)  # flow inputs that hold a domain name and are normalised
MAX_LABEL = 63
MAX_NAME = 253
WILDCARD = "*"
_LDH = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")  # letters, digits, inner hyphens


def _invalid(raw: object, why: str) -> InputError:
    return InputError(f"domain {raw!r} is not a valid domain name: {why}",
                      code=ErrorCode.DOMAIN_INVALID)


def _to_ascii(raw: str, text: str) -> str:
    """International names to punycode (IDNA 2008, UTS 46 mapping: full-width forms, case)."""
    if text.isascii():
        return text.lower()
    import idna  # only international names pay for its tables

    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise _invalid(raw, f"not a valid international name ({exc})") from None


def _check_label(raw: str, label: str, first: bool) -> None:
    if not label:
        raise _invalid(raw, "it has an empty label (two dots in a row, or a dot at the start)")
    if label == WILDCARD and first:
        return
    if len(label) > MAX_LABEL:
        raise _invalid(raw, f"label {label[:20]}... is {len(label)} characters long; at most "
                            f"{MAX_LABEL} are allowed")
    if not _LDH.match(label):
        raise _invalid(raw, f"label {label!r} may only hold letters, digits and inner hyphens")
    if label.startswith("xn--"):
        import idna

        try:
            idna.decode(label)
        except idna.IDNAError:
            raise _invalid(raw, f"label {label!r} is not valid punycode") from None


def normalise_domain(raw: object) -> str:
    """The canonical form of a domain a person typed; ``domain_invalid`` if it is none."""
    if not isinstance(raw, str):
        raise _invalid(raw, "it is not text")
    text = raw.strip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    if not text:
        raise _invalid(raw, "it is empty")
    for char in text:
        if char.isspace() or unicodedata.category(char).startswith("C"):
            kind = "a space" if char.isspace() else "a control character"
            raise _invalid(raw, f"it contains {kind} ({char!r}) inside")
    name = _to_ascii(raw, text)
    labels = name.split(".")
    for position, label in enumerate(labels):
        _check_label(raw, label, position == 0)
    if len(name) > MAX_NAME:
        raise _invalid(raw, f"it is {len(name)} characters long; at most {MAX_NAME} are allowed")
    return name


def same_domain(first: object, second: object) -> bool:
    """Whether two names denote the same certificate: equal once normalised, or one is the
    other with a leading ``www.`` (a certificate for ``www.example.com`` is the site's
    certificate for ``example.com`` too, and vendors show either as its common name).

    Anything that is not a domain (missing, empty, invalid) is never the same as anything.
    """
    try:
        a, b = normalise_domain(first), normalise_domain(second)
    except InputError:
        return False
    return a == b or a == f"www.{b}" or b == f"www.{a}"


def normalise_inputs(inputs: dict[str, object]) -> dict[str, object]:
    """A copy of a run's inputs with every domain input normalised (the others as given)."""
    return {name: normalise_domain(value) if name in DOMAIN_INPUTS and value is not None
            else value for name, value in inputs.items()}
