"""Pages of a member's CRM. Views parse, authorise, call a service or selector, render.

One module per kind of page: ``contacts``, ``organisations``, ``interactions``,
``duplicates`` (and merging), ``imports``; ``common`` holds what they share. crm.urls names
each view by its module. Every page runs on the member's own site, behind
tenants.middleware (membership).
"""
