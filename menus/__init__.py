"""Call flows declared as data, and the prompt catalogue.

Nothing here knows about HTTP, TwiML or the database: a flow says which node
comes next and what is said; the web layer runs the named operations.
"""
