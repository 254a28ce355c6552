"""The engine's scenarios again, on PostgreSQL (skipped when it is not installed).

The scenario functions of the SQLite test modules take the engine as their
only argument, so they run here unchanged on a fresh PostgreSQL database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import test_engine_actions as actions
import test_engine_apply as applying
import test_engine_matching as matching
import test_engine_rules as rules
import test_engine_staging as staging
from engine_helpers import add_company, companies, customer, run_import
from sqlalchemy import event

from erpsync.connectors.base import ErpActor
from erpsync.engine.api import ImportEngine
from erpsync.engine.settings import CommunicationRule, CompanyMatch, PersonMatch

SCENARIOS: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    (staging.test_staged_once_across_searches_and_within_a_batch, {}),
    (staging.test_staged_once_without_connection, {}),
    (staging.test_missing_parents_lists_parents_neither_staged_nor_linked, {}),
    (staging.test_unstage_removes_rows_and_outdates_preview, {}),
    *[(matching.test_company_match, dict(zip(("match", "crm", "erp_match", "erp_other"),
                                             case, strict=True)))
      for case in [
          (CompanyMatch.NAME, {}, {"NAME": "  ACME as"}, {"NAME": "Acme Holding"}),
          (CompanyMatch.NAME_DEPARTMENT, {"department": "Sales"},
           {"NAME": "acme AS", "DEPARTMENT": "SALES"},
           {"NAME": "Acme AS", "DEPARTMENT": "Support"}),
          (CompanyMatch.VATNO, {"vatno": "987654321"},
           {"NAME": "Renamed", "VATNO": "NO 987 654 321 MVA"},
           {"NAME": "Acme AS", "VATNO": "NO 987 654 322 MVA"})]],
    (matching.test_several_crm_matches_update_the_lowest_id_with_a_warning, {}),
    (matching.test_erp_link_wins_over_the_duplicate_match, {}),
    (matching.test_reimport_via_link_updates_instead_of_duplicating, {}),
    (matching.test_person_match_by_name_within_the_known_company, {}),
    (matching.test_person_match_by_communication_or_number,
     {"match": PersonMatch.EMAIL, "crm_comms": {"email": ["Ola@Acme.no"]},
      "erp_fields": {"EMAIL": " ola@acme.NO"}}),
    (matching.test_person_match_none_imports_no_person, {}),
    (actions.test_merge_updates_only_empty_fields, {}),
    (actions.test_an_update_that_changes_nothing_is_not_imported, {}),
    (actions.test_person_actions_and_company_change, {}),
    (actions.test_the_preview_diff_is_what_apply_changes, {}),
    (rules.test_no_company_create_company_using_person_name, {}),
    (rules.test_person_of_an_unchecked_company_falls_to_the_rule_at_apply, {}),
    (rules.test_list_values_add_new_item, {}),
    (rules.test_list_values_ignore_use_default, {}),
    *[(rules.test_communication_rules_for_existing_actors,
       {"phone": rule, "url_email": rule, "expected": expected})
      for rule, expected in [
          (CommunicationRule.ADD, {"phone": ["+47 22 00 00 00", "+47 33 00 00 00"],
                                   "email": ["post@acme.no", "info@acme.no", "sales@acme.no"],
                                   "url": ["https://acme.no"]}),
          (CommunicationRule.REPLACE, {"phone": ["+47 33 00 00 00"],
                                       "email": ["sales@acme.no"],
                                       "url": ["https://acme.no"]})]],
    (applying.test_duplicates_inside_one_staging, {}),
    (applying.test_preview_counts_and_paging, {}),
    (applying.test_double_apply_imports_once, {}),
    (applying.test_truncation_warning, {}),
    (applying.test_before_images_of_updated_actors, {}),
    (applying.test_result_selections, {}),
    (applying.test_delete_selection_members, {}),
]


@pytest.mark.parametrize(("scenario", "kwargs"), SCENARIOS,
                         ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(SCENARIOS)])
def test_scenario_on_postgresql(pg_engine: ImportEngine, scenario: Callable[..., Any],
                                kwargs: dict[str, Any]) -> None:
    scenario(pg_engine, **kwargs)


def test_ids_after_import_do_not_collide_on_postgresql(pg_engine: ImportEngine) -> None:
    """Apply pre-assigns ids: the serial sequence must move past them."""
    run_import(pg_engine, [customer(f"C{i}", NAME=f"C{i}") for i in range(5)])
    later = add_company(pg_engine.db, "Added by the host")
    assert later == 6 and len(companies(pg_engine.db)) == 6


def test_statement_count_on_postgresql(pg_engine: ImportEngine) -> None:
    counts = []
    for n in (50, 500):
        statements: list[str] = []

        def count(*args: Any, _s: list[str] = statements) -> None:
            _s.append(args[2])

        event.listen(pg_engine.db, "before_cursor_execute", count)
        actors: list[ErpActor] = [customer(f"N{n}-{i}", NAME=f"Company {n} {i}", PHONE="+47 1")
                                  for i in range(n)]
        run_import(pg_engine, actors)
        event.remove(pg_engine.db, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1]
