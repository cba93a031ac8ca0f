"""The face engine on real photographs: one face per portrait with a box and a quality score,
the same person similar and different people not, EXIF orientation honoured, no face and
several faces told apart, enrolment batches over a process pool giving the same templates."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from kotwal.core import images
from kotwal.frs.engine import (
    EMBEDDING_DIM,
    DlibEngine,
    Face,
    NoFace,
    SeveralFaces,
    build_info,
    encode_batch,
)
from kotwal.frs.service import DEFAULT_THRESHOLD
from tests.frs.helpers import blank, photo, side_by_side


def test_each_portrait_has_one_face_with_a_box_inside_the_picture(
    encoded: dict[str, Face],
) -> None:
    for name, face in encoded.items():
        picture = images.decode(photo(name))
        assert 0 <= face.box.left < face.box.right <= picture.width
        assert 0 <= face.box.top < face.box.bottom <= picture.height
        assert face.detector == "hog"


def test_quality_parts_lie_between_zero_and_one(encoded: dict[str, Face]) -> None:
    for face in encoded.values():
        q = face.quality
        assert all(0.0 <= part <= 1.0 for part in (q.size, q.confidence, q.sharpness))
        assert 0.0 < q.score <= 1.0


def test_a_blurred_copy_scores_lower_on_sharpness(engine: DlibEngine) -> None:
    from PIL import ImageFilter

    sharp = images.decode(photo("obama.jpg")).image
    blurred = sharp.filter(ImageFilter.GaussianBlur(3))
    assert engine.one_face(blurred).quality.sharpness < engine.one_face(sharp).quality.sharpness


def test_embeddings_are_unit_vectors_of_128(encoded: dict[str, Face]) -> None:
    for face in encoded.values():
        assert face.embedding.shape == (EMBEDDING_DIM,)
        assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-4


def test_two_photographs_of_one_person_match_at_the_default_threshold(
    encoded: dict[str, Face],
) -> None:
    similarity = float(encoded["obama.jpg"].embedding @ encoded["obama2.jpg"].embedding)
    assert similarity >= DEFAULT_THRESHOLD


def test_two_different_people_do_not_match(encoded: dict[str, Face]) -> None:
    for other in ("obama.jpg", "obama2.jpg"):
        similarity = float(encoded[other].embedding @ encoded["biden.jpg"].embedding)
        assert similarity < DEFAULT_THRESHOLD


def test_exif_orientation_stands_a_phone_photo_up(engine: DlibEngine) -> None:
    upright = Image.open(io.BytesIO(photo("obama.jpg"))).convert("RGB")
    # Stored lying on its side, with the EXIF tag saying "rotate 90 CW to display" (6).
    lying = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    lying.save(out, format="JPEG", quality=90, exif=exif.tobytes())
    decoded = images.decode(out.getvalue())
    assert (decoded.width, decoded.height) == upright.size
    assert len(engine.faces(decoded.image)) == 1


def test_a_picture_without_a_face_is_no_face(engine: DlibEngine) -> None:
    picture = images.decode(blank()).image
    assert engine.faces(picture) == []
    with pytest.raises(NoFace):
        engine.one_face(picture)


def test_two_people_in_one_picture_are_several_faces(engine: DlibEngine) -> None:
    picture = images.decode(side_by_side("obama.jpg", "biden.jpg")).image
    assert len(engine.faces(picture)) == 2
    with pytest.raises(SeveralFaces):
        engine.one_face(picture)


def test_a_batch_over_two_processes_gives_the_templates_of_one_process(
    encoded: dict[str, Face],
) -> None:
    batch = [photo("obama.jpg"), b"not an image", photo("biden.jpg")]
    results = list(encode_batch(batch, processes=2))
    assert [r.index for r in results] == [0, 1, 2]
    assert results[1].faces == [] and results[1].error
    for result, name in ((results[0], "obama.jpg"), (results[2], "biden.jpg")):
        assert result.error is None and len(result.faces) == 1
        assert np.allclose(result.faces[0].embedding, encoded[name].embedding, atol=1e-5)


def test_build_info_reports_whether_dlib_uses_blas() -> None:
    import dlib  # type: ignore[import-untyped]

    info = build_info()
    assert info.blas is bool(dlib.DLIB_USE_BLAS)
    assert info.model.startswith("dlib_face_recognition_resnet_model_v1")
