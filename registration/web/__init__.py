"""Public web pages of the service (server-rendered, Jinja2): licence verification.

pages.py      GET/POST /verify, GET /verify/{uscc}
i18n.py       page texts (zh, en) and the request's language
templates/    the HTML
"""
