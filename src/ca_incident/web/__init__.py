"""The web dashboard of ``ca-incident serve``: a door, like the command line.

:mod:`.app` is the FastAPI application (pages and ``/api``), :mod:`.charts` draws SVG charts
on the server, :mod:`.markdown` renders report previews, :mod:`.server` runs it with uvicorn.
Everything it shows comes from the jobs in :mod:`ca_incident.app.dashboard`; ``templates/``
and ``static/`` ship in the package, so it works offline.
"""
