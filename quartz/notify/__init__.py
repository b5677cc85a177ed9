"""Notifications: tell people when something changes state, exactly once.

events.py reads state changes from the store (no GitHub requests); outbox.py turns them into intents,
makes them durable before anything is sent and records each answer; slack.py and github_issues.py are the
channels; phase.py is the cycle's `notify` phase.
"""
