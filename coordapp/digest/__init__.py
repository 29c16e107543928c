"""The weekly digest: each staff user's overdue and coming items, sent by `flask digest send`."""
