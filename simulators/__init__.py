"""Stand-ins for the outside parties the platform talks to (a bank), each a real HTTP
service in its own process. They import no server code: only the standard library,
``cryptography`` and ``ggzy_core`` (import-linter checks it)."""
