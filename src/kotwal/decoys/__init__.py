"""Decoys: made-up records planted in every copy of the data, and the register naming each copy."""
