"""What the records domain lets an officer do: persons, their photographs, history sheets and
cases. Granted to roles in :mod:`kotwal.records.manifest`."""

import enum


class RecordsPermission(enum.StrEnum):
    """``records:resource:action``, kept sorted."""

    CASE_READ = "records:case:read"
    CASE_WRITE = "records:case:write"
    HISTORY_SHEET_READ = "records:history_sheet:read"
    HISTORY_SHEET_SUPERVISE = "records:history_sheet:supervise"
    HISTORY_SHEET_WRITE = "records:history_sheet:write"
    PERSON_ACCESS_READ = "records:person_access:read"
    PERSON_EXPORT = "records:person:export"
    PERSON_IMPORT = "records:person:import"
    PERSON_PHOTO_READ = "records:person_photo:read"
    PERSON_PHOTO_WRITE = "records:person_photo:write"
    PERSON_READ = "records:person:read"
    PERSON_WRITE = "records:person:write"
