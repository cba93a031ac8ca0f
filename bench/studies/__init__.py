"""Finished face-recognition studies: each compared pipeline choices on LFW once and recorded
its finding in bench/studies/README.md. They reuse bench/frs.py (the LFW paths, pairs and
encoding cache), imported as the top-level module ``frs`` as bench scripts import their
neighbours, so they run from the repository's root with bench/ on the path:

    PYTHONPATH=bench .venv/bin/python -m studies.frs_views --help
"""
