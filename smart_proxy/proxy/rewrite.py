"""Rewrite upstream base URLs to the proxy's, knowing where URLs live.

Only the places FHIR defines as URLs of the server are rewritten:
``Bundle.link.url``, ``Bundle.entry.fullUrl``, ``Bundle.entry.response.location``
(R4 bundle.html), nested Bundles in entries, and the ``Location`` and
``Content-Location`` headers (R4 http.html#create).  Clinical text that happens to
mention the upstream URL is never touched: there is no string replacement of
bodies.  A paging link that points anywhere but the upstream base is dropped, so
the app is never handed a URL the proxy would not serve.
"""

from __future__ import annotations

from typing import Any

from yarl import URL


def _origin_key(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme.lower(), (url.raw_host or "").lower(), url.port)


class BaseRewriter:
    def __init__(self, upstream_base: URL, public_base: URL) -> None:
        self._upstream_origin = _origin_key(upstream_base)
        self._upstream_path = upstream_base.raw_path.rstrip("/")
        self._public = str(public_base).rstrip("/")

    def url(self, value: str) -> str | None:
        """The public form of an upstream URL; relative URLs are kept; others → None."""
        try:
            parsed = URL(value, encoded=True)
        except ValueError:
            return None
        if not parsed.is_absolute():
            return value
        if _origin_key(parsed) != self._upstream_origin:
            return None
        path = parsed.raw_path
        if path != self._upstream_path and not path.startswith(self._upstream_path + "/"):
            return None
        tail = path[len(self._upstream_path):]
        if parsed.raw_query_string:
            tail += "?" + parsed.raw_query_string
        if parsed.raw_fragment:
            tail += "#" + parsed.raw_fragment
        return self._public + tail

    def document(self, resource: Any) -> Any:
        """Rewrite a parsed FHIR JSON document in place and return it."""
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            self._bundle(resource)
        return resource

    def _bundle(self, bundle: dict[str, Any]) -> None:
        links = bundle.get("link")
        if isinstance(links, list):
            kept = []
            for link in links:
                if isinstance(link, dict) and isinstance(link.get("url"), str):
                    new = self.url(link["url"])
                    if new is not None:
                        kept.append({**link, "url": new})
            bundle["link"] = kept
            if not kept:
                del bundle["link"]
        entries = bundle.get("entry")
        if not isinstance(entries, list):
            return
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            self._replace(entry, "fullUrl")
            response = entry.get("response")
            if isinstance(response, dict):
                self._replace(response, "location")
            self.document(entry.get("resource"))

    def _replace(self, holder: dict[str, Any], key: str) -> None:
        value = holder.get(key)
        if not isinstance(value, str):
            return
        new = self.url(value)
        if new is None:
            if value.startswith(("urn:uuid:", "urn:oid:")):
                return
            del holder[key]
        else:
            holder[key] = new
