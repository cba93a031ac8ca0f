"""Face recognition: detection, encoding, galleries, 1:N search and 1:1 verification."""
