"""People's rights across members (issue 14): subject access, erasure, rectification,
restriction, objection, retention, breaches and a member's exit.

Requests live in the public schema as plain ids and dates; personal data stays in the
members' schemas. The app sits above every app whose data a person's rights reach (crm,
sharing, surveys, events, reporting) and below the demo and the project.
"""
