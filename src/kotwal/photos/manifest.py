"""Photographs of persons and officers: cleaned, sealed, served only through the gate. Read and
written under the records and officers domains' photograph permissions."""

from kotwal.manifest import Manifest

MANIFEST = Manifest(
    name="photos",
    title="Photographs",
    package="kotwal.photos",
    models=("kotwal.photos.models",),
    api=("kotwal.photos.api",),
    views=("kotwal.photos.views",),
    uploads="kotwal.photos.api:upload_limits",
    # A person's photographs on their records page.
    install="kotwal.photos.service:install",
    requires=("records", "officers"),
)
