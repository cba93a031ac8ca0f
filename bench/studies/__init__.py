"""Finished face-recognition studies: each compared pipeline choices once on LFW and recorded
a finding (bench/studies/README.md). Run from the repository's root as modules, e.g.
``.venv/bin/python -m bench.studies.frs_views``."""
