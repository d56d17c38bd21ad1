"""Local stand-ins for Chorus Pro (HTTP API) and Dilifac (SFTP relay).

They follow docs/chorus-pro.md and docs/dilifac.md and are used by the tests and the
demo only; the addon never imports this package and cannot tell them from the real services.
"""
