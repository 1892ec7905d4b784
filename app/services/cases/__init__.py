"""Cases: what a visitor reports and everything that happens to it until it closes.

- `submission`: a new case from a spot's form, Open311 or the API; finding a case.
- `operations`: every change staff (and the clock) make to a case, with the acting-role
  check in one place; replies, status, claims, notes, escalation, auto-close.
- `workflow`: the state machine; `deadlines`: time limits in working hours;
  `routing`: who answers; `sla`: the timer that escalates.
- `tracking`: the visitor's side (follow-up, fixed, not fixed, rating); `metoo`: a second
  report of the same problem joins the open case; `sameness`: whether its words say so.
- `photos`, `abuse` (bot traps, blocks), `references`, `summaries`, `inbox`, `open311`.
"""
