"""People and their settings.

- `staff`: passwords, logins, directors' management of staff accounts, invite links.
- `onboarding`: a new unit with its parks and first director; bureau accounts.
- `api_keys`, `settings` (directors' unit settings, categories, routing rules, reply
  templates), `audit` (the audit log of every staff action).
"""
