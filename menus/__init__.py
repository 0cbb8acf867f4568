"""Call flows declared as data, and the prompt catalogue.

Nothing here knows about HTTP or TwiML: a flow says which node comes next and
what is said; the web layer runs the named operations. A flow checks itself
when built (menus/soundness.py); what each operation answers is declared in
menus/operations.py, with store's own members where store decides.
"""
