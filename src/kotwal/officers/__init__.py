"""The force: officers (the personnel record, separate from a login account) and stations."""
