"""Domain normalisation: one spelling per domain before search, comparison and messages."""

from __future__ import annotations

import pytest

from runner.domains import normalise_domain, normalise_inputs, same_domain
from runner.errors import InputError


@pytest.mark.parametrize(("raw", "expected"), [
    ("shop.example", "shop.example"),
    ("SHOP.EXAMPLE ", "shop.example"),
    ("  Shop.Example\t", "shop.example"),
    ("shop.example.", "shop.example"),
    (" WWW.Shop.Example. ", "www.shop.example"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.Example", "xn--bcher-kva.example"),
    ("straße.de", "xn--strae-oqa.de"),  # IDNA 2008: not "strasse.de"
    ("ｓｈｏｐ.example", "shop.example"),  # full-width letters map to ASCII (UTS 46)
    ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
    ("*.shop.example", "*.shop.example"),
    ("a-b.c0.example", "a-b.c0.example"),
    ("a" * 63 + ".example", "a" * 63 + ".example"),
])
def test_normalised(raw: str, expected: str) -> None:
    assert normalise_domain(raw) == expected
    assert normalise_domain(expected) == expected  # idempotent


@pytest.mark.parametrize(("raw", "why"), [
    ("", "it is empty"),
    ("   ", "it is empty"),
    (".", "it is empty"),
    ("shop example", r"contains a space \(' '\) inside"),
    ("shop.\texample", "contains a space"),
    ("shop.example\x00", r"contains a control character \('\\x00'\)"),
    ("shop\u200b.example", "contains a control character"),
    ("shop..example", "empty label"),
    (".shop.example", "empty label"),
    ("shop.example..", "empty label"),
    ("a" * 64 + ".example", "is 64 characters long; at most 63"),
    ("x." * 127 + "example", "at most 253"),
    ("shop_x.example", "may only hold letters, digits and inner hyphens"),
    ("-shop.example", "inner hyphens"),
    ("shop-.example", "inner hyphens"),
    ("shop.*.example", "inner hyphens"),
    ("shop/x.example", "inner hyphens"),
    ("xn--zz.example", "not valid punycode"),
    ("bü\u0301cher..example", "not a valid international name"),
])
def test_invalid_domains_are_input_errors_with_a_stable_code(raw: str, why: str) -> None:
    with pytest.raises(InputError, match=why) as caught:
        normalise_domain(raw)
    assert (caught.value.code, caught.value.kind) == ("domain_invalid", "input")
    assert repr(raw) in caught.value.message


def test_not_text_is_invalid() -> None:
    with pytest.raises(InputError, match="it is not text"):
        normalise_domain(None)


@pytest.mark.parametrize(("first", "second", "same"), [
    ("shop.example", "SHOP.EXAMPLE.", True),
    ("www.shop.example", "shop.example", True),
    ("shop.example", "www.shop.example", True),
    ("bücher.example", "xn--bcher-kva.example", True),
    ("shop.example", "myshop.example", False),
    ("shop.example", "shop.example.com", False),
    ("mail.shop.example", "shop.example", False),
    ("*.shop.example", "shop.example", False),
    ("", "", False),
    (None, "shop.example", False),
    ("not a domain", "not a domain", False),
])
def test_same_domain(first: object, second: object, same: bool) -> None:
    assert same_domain(first, second) is same
    assert same_domain(second, first) is same


def test_only_domain_inputs_are_normalised() -> None:
    assert normalise_inputs({"domain": " SHOP.EXAMPLE. ", "note": " As Is "}) == {
        "domain": "shop.example", "note": " As Is "}
