"""Local stand-ins for Chorus Pro (HTTP API) and Dilifac (SFTP relay).

They follow ../shared/spec/ and are used by the tests and the demo only; the addon
never imports this package and cannot tell them from the real services.
"""
