"""Running the service: periodic jobs once across processes (`jobs`), backups (`backup`)."""
