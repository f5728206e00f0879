"""The seed checker accepts what the forms accept, so demo data can hold any row a user could type."""

from __future__ import annotations

import importlib.util

import pytest


@pytest.fixture
def check_seeds(seeds_dir):
    spec = importlib.util.spec_from_file_location("check_seeds", seeds_dir / "check_seeds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("country", "accepted"), [("KZ", True), ("ID", False)])
def test_seed_checker_accepts_kazakh_from_kazakh_companies(check_seeds, country, accepted):
    orgs = {"saumal": {"kind": "producer", "country": country}}
    row = {"_line": 2, "organisation": "saumal", "title": "Бие сүті, құрғақ", "description": "x" * 60,
           "hs_code": "040221", "certifications": "", "incoterms": "FCA", "unit": "kg", "language": "kk",
           "status": "published"}
    check_seeds.check_common("products.csv", row, orgs, frozenset({"producer"}), "certifications")
    about_language = [p for p in check_seeds.problems if "kk" in p]
    assert (about_language == []) is accepted


def _hs_problems(check_seeds, name, code):
    orgs = {"hotel": {"kind": "buyer", "country": "KZ"}}
    row = {"_line": 2, "organisation": "hotel", "title": "Молоко сухое цельное", "description": "x" * 60,
           "hs_code": code, "required_certifications": "", "incoterms": "DAP", "unit": "t", "language": "ru",
           "status": "published"}
    check_seeds.check_common(name, row, orgs, frozenset({"buyer"}), "required_certifications")
    return [p for p in check_seeds.problems if "HS code" in p]


@pytest.mark.parametrize(("name", "code", "accepted"), [("requests.csv", "0402", True),
                                                        ("requests.csv", "0199", False),
                                                        ("products.csv", "0402", False),
                                                        ("products.csv", "040221", True)])
def test_seed_checker_accepts_a_heading_only_in_requests(check_seeds, name, code, accepted):
    assert (_hs_problems(check_seeds, name, code) == []) is accepted
