"""Telling people what happened.

- `visitors`: the visitor's e-mail and SMS outbox, written with the change and sent by a job.
- `ladder`: the escalation ladder (SMS to on call, then to the directors) and its outbox.
- `recipients`: who an alert reaches now (push takers, SMS holders of a role).
- `sms`: pluggable SMS senders; `privacy`: contacts erased when their time is up.
"""
