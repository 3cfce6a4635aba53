"""The page's script and style under content-hashed names, cached for a year (web/page.py):
a browser that has them asks for none again, yet never keeps an old version under a name a
new page links to."""

from __future__ import annotations

import re
import shutil

import pytest

from chalicelib.web import page

IMMUTABLE = "public, max-age=31536000, immutable"
HASHED = re.compile(r"^(signin|account|form_post)\.[0-9a-f]{8}\.(js|css)$")


@pytest.fixture
def fresh_static():
    """page.py reads web/static once: start and end with what is on disk now."""
    page._static_files.cache_clear()
    page.asset.cache_clear()
    yield
    page._static_files.cache_clear()
    page.asset.cache_clear()


def linked(body: str) -> list[str]:
    return re.findall(r'(?:href|src)="(?:\.\./\.\./)?static/([^"]+)"', body)


def test_pages_link_the_hashed_names_and_those_are_cached_for_a_year(api):
    """Defends the year of caching: only a name whose hash matches the content gets it, and
    the pages link those names (a plain name would be fetched again every five minutes)."""
    names = linked(api.http.get("/").body.decode()) + linked(
        api.http.get("/t/nobody/authorize?client_id=x").body.decode()
    )
    assert names and all(HASHED.match(name) for name in names), names
    for name in names:
        response = api.http.get(f"/static/{name}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        plain = re.sub(r"\.[0-9a-f]{8}\.", ".", name)
        assert response.body == api.http.get(f"/static/{plain}").body


@pytest.mark.parametrize("name", ["signin.js", "signin.css", "account.js", "form_post.js"])
def test_the_plain_names_still_work_for_pages_already_open_briefly_cached(api, name):
    """A page rendered before a release links the plain name it knew: still served, but
    cached for minutes, never as immutable."""
    response = api.http.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize(
    "name", ["signin.00000000.js", "signin.3f2a9c1b.css", "nothing.3f2a9c1b.js", "signin..js"]
)
def test_an_unknown_or_mismatched_hash_is_not_found(api, name):
    """A hash that is not the content's would have a year of caching pinned to the wrong
    content: 404."""
    assert api.http.get(f"/static/{name}").status_code == 404


def test_the_hashed_name_changes_with_the_content(api, tmp_path, monkeypatch, fresh_static):
    """Defends the cache's correctness: an edited file gets a new name (the pages link it),
    and the old hashed name is no longer served, so no browser keeps the old version."""
    shutil.copytree(page.HERE / "static", tmp_path / "static")
    before = page.asset("signin.js")
    page._static_files.cache_clear()
    page.asset.cache_clear()
    monkeypatch.setattr(page, "HERE", tmp_path)
    script = tmp_path / "static" / "signin.js"
    script.write_text(script.read_text() + "\n// edited\n")

    after = page.asset("signin.js")

    assert after != before and HASHED.match(after)
    assert api.http.get(f"/static/{after}").status_code == 200
    assert api.http.get(f"/static/{before}").status_code == 404
