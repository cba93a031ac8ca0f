"""Photographs of persons (and, later, officers): cleaned, sealed, served only through the gate."""
