"""Records operations, one transaction each (the caller's unit of work); reads go through
the gate and writes are scoped to the actor's jurisdiction.

This module is the records domain's service interface, which routes, commands and other domains
import; the operations live by aggregate in ``persons``, ``person_search``, ``history_sheets``
and ``cases``, and what those share in ``shared``.
"""

from __future__ import annotations

from kotwal.records.cases import CASE_PAGE_MAX as CASE_PAGE_MAX
from kotwal.records.cases import CASE_PARTY_ADDED as CASE_PARTY_ADDED
from kotwal.records.cases import PARTIES_MAX as PARTIES_MAX
from kotwal.records.cases import CasePartyHook as CasePartyHook
from kotwal.records.cases import add_case_party as add_case_party
from kotwal.records.cases import create_case as create_case
from kotwal.records.cases import find_case_by_fir as find_case_by_fir
from kotwal.records.cases import law_sections as law_sections
from kotwal.records.cases import person_cases as person_cases
from kotwal.records.cases import read_case as read_case
from kotwal.records.history_sheets import HISTORY_SHEET_PAGE_MAX as HISTORY_SHEET_PAGE_MAX
from kotwal.records.history_sheets import close_history_sheet as close_history_sheet
from kotwal.records.history_sheets import history_sheet_events as history_sheet_events
from kotwal.records.history_sheets import open_history_sheet as open_history_sheet
from kotwal.records.history_sheets import overdue_history_sheets as overdue_history_sheets
from kotwal.records.history_sheets import person_history_sheets as person_history_sheets
from kotwal.records.history_sheets import read_history_sheet as read_history_sheet
from kotwal.records.history_sheets import review_history_sheet as review_history_sheet
from kotwal.records.person_search import SEARCH_MAX_CANDIDATES as SEARCH_MAX_CANDIDATES
from kotwal.records.person_search import SEARCH_MAX_KEY_RUN as SEARCH_MAX_KEY_RUN
from kotwal.records.person_search import SEARCH_MAX_RESULTS as SEARCH_MAX_RESULTS
from kotwal.records.person_search import Evidence as Evidence
from kotwal.records.person_search import find_by_phone as find_by_phone
from kotwal.records.person_search import search_by_name as search_by_name
from kotwal.records.persons import PHONE_DOMAIN as PHONE_DOMAIN
from kotwal.records.persons import PersonFacts as PersonFacts
from kotwal.records.persons import create_person as create_person
from kotwal.records.persons import file_person as file_person
from kotwal.records.persons import file_persons as file_persons
from kotwal.records.persons import file_persons_unloaded as file_persons_unloaded
from kotwal.records.persons import index_names as index_names
from kotwal.records.persons import person_facts as person_facts
from kotwal.records.persons import person_history as person_history
from kotwal.records.persons import person_path as person_path
from kotwal.records.persons import read_person as read_person
from kotwal.records.persons import read_persons as read_persons
from kotwal.records.persons import update_person as update_person
from kotwal.records.shared import person_exists as person_exists
from kotwal.records.shared import station_names as station_names
