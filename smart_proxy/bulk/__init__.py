"""FHIR Bulk Data export through the proxy (Bulk Data Access IG v2; SMART Backend Services).

The proxy does not run exports itself: the upstream does.  The proxy judges the kick-off
(``scopes.bulk_export``), keeps a job record bound to the client (:mod:`.jobs`), hides every
upstream URL behind its own status and file URLs (:mod:`.status`), and checks every line
of every file against the caller's grant before it leaves (:mod:`.files`).
"""
