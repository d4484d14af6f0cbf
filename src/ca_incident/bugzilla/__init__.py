"""Bugzilla, where an incident lives: a REST client, a local cache, and what a bug says.

- :mod:`.settings`: which server, which API key (never shown), where the cache is;
- :mod:`.client`: the REST calls, with timeouts, retries, pagination and clear errors;
- :mod:`.records`: bugs, comments, attachments and changes as values, read the same from
  bugzilla.mozilla.org (BMO) and from upstream Bugzilla 5.2;
- :mod:`.cache`: the SQLite cache (all its SQL is there);
- :mod:`.reading`: what a bug says about an incident: its reports, questions and clocks;
- :mod:`.adopt`: an incident file written from a bug's reports.

The jobs in ``ca_incident.app.bugzilla`` use these; nothing here imports a job.
"""
