"""A tiny browser for the authorization pages: real HTML forms, real cookies, no regex scraping.

``Page`` parses a response with :mod:`html.parser` into forms (inputs, checkboxes,
radios, submit buttons), links, images and visible text.  ``Form`` is filled and
submitted the way a browser would: hidden and text fields as they are, checked
boxes only, and the value of the button pressed.  ``Browser`` keeps cookies
itself (so ``Secure``/``__Host-`` cookies of the https ``public_url`` work over
the test server's http), follows redirects that stay on the proxy, and stops at
the first redirect that leaves it (to the app's ``redirect_uri``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

PUBLIC = "https://proxy.example.org"


@dataclass
class Field:
    tag: str
    type: str
    name: str
    value: str
    checked: bool = False
    label_id: str = ""


@dataclass
class Form:
    method: str
    action: str
    fields: list[Field] = field(default_factory=list)

    def _named(self, name: str, value: str | None = None) -> list[Field]:
        found = [f for f in self.fields if f.name == name and (value is None or f.value == value)]
        if not found:
            raise KeyError(f"no field {name}={value!r} in form {self.action}")
        return found

    def get(self, name: str) -> str:
        return self._named(name)[0].value

    def fill(self, name: str, value: str) -> Form:
        self._named(name)[0].value = value
        return self

    def check(self, name: str, value: str) -> Form:
        self._named(name, value)[0].checked = True
        return self

    def uncheck(self, name: str, value: str) -> Form:
        self._named(name, value)[0].checked = False
        return self

    def choose(self, name: str, value: str) -> Form:
        for candidate in self._named(name):
            candidate.checked = candidate.value == value
        if not any(f.checked for f in self._named(name)):
            raise KeyError(f"no radio {name}={value!r}")
        return self

    def options(self, name: str) -> list[str]:
        return [f.value for f in self._named(name)]

    def checked(self, name: str) -> list[str]:
        return [f.value for f in self.fields if f.name == name and f.checked]

    def buttons(self) -> list[tuple[str, str]]:
        return [(f.name, f.value) for f in self.fields if f.tag == "button"]

    def add_hidden(self, name: str, value: str) -> Form:
        self.fields.append(Field("input", "hidden", name, value))
        return self

    def remove(self, name: str) -> Form:
        self.fields = [f for f in self.fields if f.name != name]
        return self

    def pairs(self, button: tuple[str, str] | None = None) -> list[tuple[str, str]]:
        out = []
        for f in self.fields:
            if not f.name or f.tag == "button":
                continue
            if f.type in ("checkbox", "radio"):
                if f.checked:
                    out.append((f.name, f.value))
            elif f.type not in ("submit", "button", "image", "reset"):
                out.append((f.name, f.value))
        if button is not None:
            if button not in self.buttons():
                raise KeyError(f"no button {button!r}")
            out.append(button)
        return out


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.images: list[str] = []
        self.labels: dict[str, str] = {}
        self.text: list[str] = []
        self.codes: list[str] = []
        self._code: list[str] | None = None
        self._form: Form | None = None
        self._button: Field | None = None
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag == "form":
            self._form = Form(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            self._form.fields.append(
                Field(
                    "input",
                    a.get("type", "text").lower(),
                    a.get("name", ""),
                    a.get("value", ""),
                    "checked" in a,
                    a.get("id", ""),
                )
            )
        elif tag == "button" and self._form is not None:
            self._button = Field(
                "button", a.get("type", "submit"), a.get("name", ""), a.get("value", "")
            )
            self._form.fields.append(self._button)
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "label":
            self._label_for, self._label_text = a.get("for"), []
        elif tag == "code":
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1
        if tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None
        elif tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None
        elif tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._code is not None:
            self._code.append(data)
        if self._label_for is not None:
            self._label_text.append(data)


@dataclass
class Page:
    status: int
    headers: Any
    body: str
    url: str
    history: list[tuple[int, str]]

    def __post_init__(self) -> None:
        parser = _Parser()
        if "text/html" in self.headers.get("Content-Type", ""):
            parser.feed(self.body)
            parser.close()
        self.forms, self.links, self.images = parser.forms, parser.links, parser.images
        self.labels, self.codes = parser.labels, parser.codes
        self.text = " ".join(" ".join(parser.text).split())

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def query(self) -> dict[str, list[str]]:
        assert self.location is not None
        return parse_qs(urlsplit(self.location).query, keep_blank_values=True)

    def form(self, action_path: str) -> Form:
        found = [f for f in self.forms if urlsplit(f.action).path == action_path]
        assert len(found) == 1, (
            f"{len(found)} forms posting to {action_path} on {self.url}: {self.text[:300]}"
        )
        return found[0]

    def label_of(self, form: Form, name: str, value: str) -> str:
        target = form._named(name, value)[0]
        return self.labels[target.label_id]


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cookies: dict[str, tuple[str, str]] = {}  # name -> (value, path)
        self.set_cookie_headers: list[str] = []

    def _local(self, url: str) -> str | None:
        if url.startswith(PUBLIC + "/"):
            return url[len(PUBLIC) :]
        return url if url.startswith("/") and not url.startswith("//") else None

    def _cookie_header(self, path: str) -> str:
        return "; ".join(
            f"{name}={value}"
            for name, (value, scope) in self.cookies.items()
            if path == scope or path.startswith(scope.rstrip("/") + "/")
        )

    def _remember(self, headers: Any) -> None:
        for raw in headers.getall("Set-Cookie", []):
            self.set_cookie_headers.append(raw)
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = (morsel.value, morsel["path"] or "/")

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        follow: bool = True,
    ) -> Page:
        history: list[tuple[int, str]] = []
        while True:
            path = self._local(url)
            assert path is not None, f"not a proxy URL: {url}"
            sent = dict(headers or {})
            cookie = self._cookie_header(urlsplit(path).path)
            if cookie:
                sent["Cookie"] = cookie
            response = await self.client.request(
                method, path, data=data, headers=sent, allow_redirects=False
            )
            body = await response.text()
            self._remember(response.headers)
            location = response.headers.get("Location")
            if not follow or response.status not in (302, 303) or location is None:
                return Page(response.status, response.headers, body, url, history)
            if self._local(location) is None:
                return Page(response.status, response.headers, body, url, history)
            history.append((response.status, location))
            method, url, data, headers = "GET", location, None, None

    async def get(self, url: str, **kwargs: Any) -> Page:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, data: list[tuple[str, str]], **kwargs: Any) -> Page:
        return await self.request("POST", url, data=data, **kwargs)

    async def submit(
        self, form: Form, button: tuple[str, str] | None = None, *, follow: bool = True
    ) -> Page:
        assert form.method == "post", form.method
        return await self.post(form.action, form.pairs(button), follow=follow)
