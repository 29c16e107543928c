"""A hotline's own pages, for its staff (the ``hotline`` role): its profile, contacts, quarterly
figures, trainings and its figures against the network's median. Composed from the services of
the domains (views only); ``coordapp.auth.permissions.scope_allows`` keeps every other page
out of reach (404)."""
