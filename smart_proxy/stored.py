"""The proxy's own reads of what a write would change ("before the call", DESIGN decision 5).

Update, patch and delete under a confining grant are checked against the stored version
first (peer-gateways.md (c) 6): the proxy reads it from the upstream with its own
credential, never the app's token, through the same header allow-list, and none of the
app's own request headers (``If-Match``, ``Prefer``, ``Content-Type``...) travel with it.

- :meth:`StoredReader.read`: the current version (R4 http.html#read); ``404`` and ``410``
  (deleted) are "absent";
- :meth:`StoredReader.search`: the matches of a conditional write's narrowed criteria
  (http.html#cond-update, conditional delete): ``search.mode = match`` entries of the type
  only; a ``next`` link means more than this page.

Any other answer is a gateway fault (``502``), never "absent": a read that failed must not
turn an update into an unchecked create.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDict

from .outcome import BadGateway
from .proxy.forward import CHUNK, is_json
from .proxy.headers import REQUEST_ALLOW
from .proxy.upstream import Upstream

log = logging.getLogger("smart_proxy.stored")

ABSENT = frozenset({404, 410})
Resource = dict[str, Any]


@dataclass(frozen=True)
class Matches:
    resources: tuple[Resource, ...]
    more: bool

    @property
    def count(self) -> int:
        """How many match, as far as a write needs to know: 0, 1, or 2 for "several"."""
        return 2 if self.more else min(len(self.resources), 2)


class StoredReader:
    """Reads for one FHIR call; ``call_headers`` are the headers built for the app's call."""

    def __init__(self, upstream: Upstream, call_headers: CIMultiDict[str], limit: int) -> None:
        self._upstream = upstream
        self._limit = limit
        self._headers: CIMultiDict[str] = CIMultiDict(
            (name, value) for name, value in call_headers.items()
            if name.lower() not in REQUEST_ALLOW)
        self._headers["Accept"] = "application/fhir+json"

    async def read(self, resource_type: str, resource_id: str) -> Resource | None:
        """The current version of ``resource_type/resource_id`` (ids are checked by the
        caller), or ``None`` when the upstream says it is absent or deleted."""
        document = await self._get(f"{resource_type}/{resource_id}", "")
        if document is not None and not isinstance(document, dict):
            raise BadGateway("The FHIR server's answer to the stored read is not a resource.")
        return document

    async def search(self, resource_type: str, query: str) -> Matches:
        document = await self._get(resource_type, query)
        if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
            raise BadGateway("The FHIR server's answer to the conditional search is not a Bundle.")
        entries, links = document.get("entry", []), document.get("link", [])
        if not isinstance(entries, list) or not isinstance(links, list):
            raise BadGateway("The FHIR server's answer to the conditional search is malformed.")
        found = []
        for entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            search = entry.get("search") if isinstance(entry, dict) else None
            mode = search.get("mode", "match") if isinstance(search, dict) else "match"
            if isinstance(resource, dict) and mode == "match" and (
                    resource.get("resourceType") == resource_type):
                found.append(resource)
        more = any(isinstance(link, dict) and link.get("relation") == "next" for link in links)
        return Matches(tuple(found), more)

    async def _get(self, tail: str, query: str) -> Any:
        url = self._upstream.url_for(tail, query)
        async with self._upstream.request("GET", url, self._headers) as answer:
            if answer.status in ABSENT:
                return None
            if answer.status != 200 or not is_json(answer.headers.get("Content-Type", "")):
                log.warning("stored read answered HTTP %s", answer.status)
                raise BadGateway("The FHIR server did not answer the proxy's check of the "
                                 "stored version; nothing was written.")
            return await self._document(answer)

    async def _document(self, answer: aiohttp.ClientResponse) -> Any:
        data = bytearray()
        async for chunk in answer.content.iter_chunked(CHUNK):
            data += chunk
            if len(data) > self._limit:
                raise BadGateway("The stored version is larger than the proxy inspects.")
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            raise BadGateway("The FHIR server sent malformed JSON.") from None
