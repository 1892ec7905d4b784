"""Business rules, by domain: `cases`, `spots`, `bureau`, `accounts`, `notify`, `platform`,
`demo` (each package's docstring says what it owns). Views call these services with
explicit arguments; services raise the errors of `app.services.errors`."""
