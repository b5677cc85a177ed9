"""The static dashboard and JSON API, rendered from the store.

`render.render(config, store, "site", now)` renders everything (`quartz render`); one context module per
page kind (`health`, `projects`, `builds`, `cascades`, `overview`) feeds both its HTML and its JSON, and
`writer` is the one place that writes output files. `paths` says where every file lives.
"""
