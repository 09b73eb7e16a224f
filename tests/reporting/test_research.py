"""Researchers: projects, pseudonyms, disclosure-controlled tables, extracts under
k-anonymity and l-diversity, the output log, reviews and downloads."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reporting import research
from reporting.disclosure import Rules
from reporting.models import DatasetQuestion, OutputStatus, PooledResponse, ResearchOutput
from reporting.pseudonyms import pseudonym

from .conftest import pool_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(pooled_world, user):
    def make(title="Sector health"):
        return research.project_create(
            acting_user=user("admin-c"), title=title, purpose="How the sector is doing",
            ethics_reference="ETH-2026-04", end_date="2099-12-31",
            researcher_ids=[user("researcher-r").pk],
            dataset_ids=[pooled_world["dataset"].pk],
        )  # fmt: skip

    return make


@pytest.fixture
def big_pool(pooled_world, member_a, member_b):
    """Synthetic pooled responses: 3 localities × 2 sizes, one small cell, plus 2027."""
    dataset = pooled_world["dataset"]
    a, b = pooled_world["alpha"]["agreement"], pooled_world["beta"]["agreement"]
    spec = [("Ryedale", "Small", 30), ("Ryedale", "Large", 25), ("Selby", "Small", 22),
            ("Selby", "Large", 3), ("York", "Small", 40), ("York", "Large", 18)]  # fmt: skip
    rows = [({"district": d, "org_type": "charity"}, {"size": s, "staff": n % 7 + i % 5})
            for n, (d, s, count) in enumerate(spec) for i in range(count)]  # fmt: skip
    pool_rows(dataset=dataset, provider_id=member_a.pk, agreement_id=a.pk, rows=rows[::2])
    pool_rows(
        dataset=dataset, provider_id=member_b.pk, agreement_id=b.pk, rows=rows[1::2], start=50_000
    )
    DatasetQuestion.objects.get_or_create(
        dataset=dataset,
        year=2027,
        code="size",
        defaults={"text": "Size", "kind": "single", "options": ["Small", "Large"]},
    )
    return dataset


def test_pseudonyms_are_stable_within_a_project_and_differ_between_projects(project):
    first, second = project("One"), project("Two")
    key = "a" * 64
    assert pseudonym(first, key) == pseudonym(first, key)
    assert pseudonym(first, key) != pseudonym(second, key)
    assert key[:15].upper() not in pseudonym(first, key)


def test_a_researcher_never_sees_a_pseudonym_reverse_to_an_organisation(
    pooled_world, project, client_for, user
):
    """Everything a researcher can reach (project page, codebook, extract, its download)
    shows pseudonyms and answers only: never a name, e-mail, identifier or the pool's key."""
    p = project()
    researcher = user("researcher-r")
    research.snapshot_take(project=p, dataset=pooled_world["dataset"], year=2026,
                           acting_user=researcher)  # fmt: skip
    client = client_for(researcher, None)
    pages = [client.get(p.get_absolute_url()).content.decode(),
             client.get(f"/research/projects/{p.pk}/codebook/{pooled_world['dataset'].pk}"
                        "/2026.csv").content.decode()]  # fmt: skip
    output = research.extract_produce(
        project=p, dataset=pooled_world["dataset"], year=2026, researcher=researcher,
        quasi_identifiers=["size"], sensitive="", variables=["needs", "comments", "staff"],
        settings_row=_lenient(),
    )  # fmt: skip
    assert output.status == OutputStatus.PASSED
    pages.append(client.get(output.get_absolute_url()).content.decode())
    pages.append(client.post(f"/research/outputs/{output.pk}/download.csv",
                             {"confirm": "yes"}).content.decode())  # fmt: skip
    pseudonyms = {r[0] for r in output.result["records"]}
    assert pseudonyms
    assert all(re.fullmatch(r"P[0-9A-F]{15}", x) for x in pseudonyms)
    keys = set(PooledResponse.objects.values_list("match_key", flat=True))
    for page in pages:
        for secret in ("Malton", "shed@example.org", "1100001", "Other Group",
                       "example.org", *keys):  # fmt: skip
            assert secret not in page
        assert not re.search(r"\bMen\b", page)  # of "Men's Shed"; the "Menu" button is fine
    assert "Funding" in pages[-1]  # the listed free text is there; "comments" never was


def _lenient():
    from reporting.models import DisclosureSettings

    return DisclosureSettings(k_anonymity=1, l_diversity=1)


def test_tables_suppress_small_cells_and_protect_them(big_pool, project, user):
    """Selby × Large counts 3: hidden with its explanation, and enough other cells hidden
    that it cannot be worked out from the totals."""
    p = project()
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=user("researcher-r"))
    output = research.table_produce(project=p, dataset=big_pool, year=2026,
                                    researcher=user("researcher-r"), rows="district",
                                    cols="size")  # fmt: skip
    result = output.result
    cells = dict(zip(result["rows"], result["cells"], strict=False))
    assert cells["Selby"][1]["hidden"]
    assert cells["Selby"][1]["reason"] == "low"
    hidden = [c for row in result["cells"] for c in row if c["hidden"]]
    assert len(hidden) >= 4
    assert output.suppressed_cells == len(hidden)
    assert all(c["value"] >= 10 for row in result["cells"] for c in row if not c["hidden"])
    assert "fewer than 10 organisations" in result["explanations"]["low"]


def test_means_need_ten_contributors_and_percentages_a_visible_denominator(big_pool, project,
                                                                           user):  # fmt: skip
    p = project()
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=user("researcher-r"))
    mean = research.table_compute(project=p, dataset=big_pool, year=2026, rows="district",
                                  cols="size", measure="mean", value="staff")  # fmt: skip
    selby = mean["cells"][mean["rows"].index("Selby")]
    assert selby[1]["hidden"]
    shown = [c["value"] for row in mean["cells"] for c in row if not c["hidden"]]
    assert shown
    assert all(0 <= v <= 11 for v in shown)
    percent = research.table_compute(project=p, dataset=big_pool, year=2026, rows="district",
                                     measure="percent")  # fmt: skip
    total = percent["cells"][-1][0]
    assert total["value"] == 100.0


def test_differencing_against_released_tables_only(big_pool, project, member_b, user):
    """After a release, a member leaving changes some cells by fewer than 10: the new table
    hides them. A draft (never released) table does not count."""
    from sharing import services as sharing

    p = project()
    researcher = user("researcher-r")
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=researcher)
    first = research.table_produce(project=p, dataset=big_pool, year=2026,
                                   researcher=researcher, rows="district")  # fmt: skip
    # Member B's agreement ends: its half of the rows leave every new table.
    sharing.agreement_terminate(
        agreement=big_pool.terms.get(agreement__provider=member_b).agreement,
        member=member_b,
        acting_user=user("manager-b"),
    )
    draft_only = research.table_compute(project=p, dataset=big_pool, year=2026,
                                        rows="district")  # fmt: skip
    assert not any(c["reason"] == "differencing" for row in draft_only["cells"] for c in row)
    research.output_release(output=first, acting_user=researcher)
    after = research.table_compute(project=p, dataset=big_pool, year=2026, rows="district")
    released = first.result["released_counts"]
    for label, row in zip([*after["rows"], "Total"], after["cells"], strict=True):
        for cell in row:
            old = released.get(f"{label}\x1fTotal")
            if not cell["hidden"] and old is not None:
                assert cell["value"] == old or abs(cell["value"] - old) >= 10


def test_extract_needs_k_anonymity_and_says_what_to_coarsen(big_pool, project, user):
    p = project()
    researcher = user("researcher-r")
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=researcher)
    blocked = research.extract_produce(
        project=p,
        dataset=big_pool,
        year=2026,
        researcher=researcher,
        quasi_identifiers=["district", "size"],
        sensitive="staff",
    )
    assert blocked.status == OutputStatus.BLOCKED
    assert blocked.result["records"] == []
    assert blocked.result["k"] < 10
    assert any("district" in a for a in blocked.result["advice"])
    with pytest.raises(PermissionDenied):
        research.output_release(output=blocked, acting_user=researcher)
    passing = research.extract_produce(project=p, dataset=big_pool, year=2026,
                                       researcher=researcher, quasi_identifiers=["size"],
                                       sensitive="staff")  # fmt: skip
    assert passing.status == OutputStatus.PASSED
    assert passing.result["k"] >= 10
    assert passing.result["l"] >= 2


def test_every_output_is_logged_and_review_releases_with_a_reason(big_pool, project, user,
                                                                  client_for):  # fmt: skip
    p = project()
    researcher = user("researcher-r")
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=researcher)
    client = client_for(researcher, None)
    response = client.post(f"/research/projects/{p.pk}/?dataset={big_pool.pk}&year=2026",
                           {"table": "1", "year": "2026", "rows": "district", "cols": "size",
                            "measure": "count"})  # fmt: skip
    assert response.status_code == 302
    output = ResearchOutput.objects.get(project=p)
    assert output.researcher == researcher
    assert output.query["rows"] == "district"
    page = client.get(output.get_absolute_url()).content.decode()
    assert "[c]" in page
    assert "Hidden:" in page
    client.post(f"/research/outputs/{output.pk}/action/",
                {"action": "review", "note": "Selby matters to the funder"})  # fmt: skip
    output.refresh_from_db()
    assert output.status == OutputStatus.REVIEW
    assert client.get(f"/research/outputs/{output.pk}/download.csv").status_code == 302
    admin = client_for(user("admin-c"), None)
    log = admin.get("/research/releases/").content.decode()
    assert "Selby matters to the funder" in log
    admin.post("/research/releases/", {"output": output.pk, "reason": "",
                                       "show_hidden": "yes"})  # fmt: skip
    output.refresh_from_db()
    assert output.status == OutputStatus.REVIEW  # a reason is required
    admin.post("/research/releases/", {"output": output.pk, "reason": "Approved by panel"})
    output.refresh_from_db()
    assert output.status == OutputStatus.RELEASED
    assert output.release_reason == "Approved by panel"
    download = client.get(f"/research/outputs/{output.pk}/download.csv")
    assert download.status_code == 200
    assert "[c]" in download.content.decode()


def test_research_pages_are_for_named_researchers_only(project, client_for, user):
    p = project()
    assert client_for(user("staff-a"), None).get("/research/").status_code == 403
    assert client_for(user("admin-c"), None).get(p.get_absolute_url()).status_code == 403
    assert client_for(user("researcher-r"), None).get("/research/projects/999999/"
                                                      ).status_code == 404  # fmt: skip
    assert client_for(user("researcher-r"), None).get("/research/releases/").status_code == 403
    assert "Sector health" in client_for(user("researcher-r"), None).get(
        "/research/").content.decode()  # fmt: skip


def test_coarser_categories_merge_small_rows(big_pool, project, user, pooled_world, member_a):
    """Rare localities hidden one by one come back merged into one category when asked."""
    rare = [
        ({"district": d, "org_type": "charity"}, {"size": "Small", "staff": 1})
        for d, n in (("Craven", 4), ("Hambleton", 3), ("Whitby", 5))
        for _ in range(n)
    ]
    pool_rows(
        dataset=big_pool,
        provider_id=member_a.pk,
        agreement_id=pooled_world["alpha"]["agreement"].pk,
        rows=rare,
        start=90_000,
    )
    p = project()
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=user("researcher-r"))
    fine = research.table_compute(project=p, dataset=big_pool, year=2026, rows="district")
    assert {"Craven", "Hambleton", "Whitby"} <= set(fine["rows"])
    coarse = research.table_compute(project=p, dataset=big_pool, year=2026, rows="district",
                                    coarse=True)  # fmt: skip
    assert "Other (combined)" in coarse["rows"]
    assert "Craven" not in coarse["rows"]
    other = coarse["cells"][coarse["rows"].index("Other (combined)")][0]
    assert not other["hidden"]
    assert other["value"] == 12


def test_controlled_rounding_is_offered_instead_of_suppression(big_pool, project, user,
                                                                client_for):  # fmt: skip
    """A researcher can ask for a count table by controlled rounding: nothing hidden, every
    figure a multiple of 5 within 5 of the truth, rows adding up; other measures refuse."""
    from django.core.exceptions import ValidationError

    p = project()
    researcher = user("researcher-r")
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=researcher)
    exact = research.table_compute(
        project=p,
        dataset=big_pool,
        year=2026,
        rows="district",
        cols="size",
        rules=Rules(threshold=1),
    )
    suppressed = research.table_produce(
        project=p, dataset=big_pool, year=2026, researcher=researcher, rows="district", cols="size"
    )
    client = client_for(researcher, None)
    response = client.post(f"/research/outputs/{suppressed.pk}/action/", {"action": "rounded"})
    assert response.status_code == 302
    rounded = ResearchOutput.objects.exclude(pk=suppressed.pk).get(project=p)
    assert rounded.query["rounding"] is True
    assert rounded.suppressed_cells == 0
    for true_row, row in zip(exact["cells"], rounded.result["cells"], strict=True):
        for true, cell in zip(true_row, row, strict=True):
            assert cell["value"] % 5 == 0
            assert abs(cell["value"] - true["value"]) < 5
        assert sum(c["value"] for c in row[:-1]) == row[-1]["value"]
    assert "Controlled rounding" in client.get(rounded.get_absolute_url()).content.decode()
    with pytest.raises(ValidationError):
        research.table_compute(
            project=p,
            dataset=big_pool,
            year=2026,
            rows="district",
            measure="mean",
            value="staff",
            rounding=True,
        )


def test_an_agreement_past_its_end_date_leaves_new_tables_before_expiry_runs(
    big_pool, project, user, member_b
):
    """The nightly expiry has not run yet, but the end date has passed: B's rows are out."""
    import datetime

    from sharing.models import Agreement

    p = project()
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=user("researcher-r"))
    before = research.table_compute(project=p, dataset=big_pool, year=2026, rows="size")
    Agreement.objects.filter(provider=member_b, purpose="research").update(
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1)
    )
    after = research.table_compute(project=p, dataset=big_pool, year=2026, rows="size")
    assert after["cells"][-1][0]["value"] < before["cells"][-1][0]["value"]


def test_extract_checks_other_variables_as_quasi_identifiers(big_pool, project, user):
    """An extract whose ticked quasi-identifier is safe but whose "other variables" (an exact
    number) make each record unique is blocked, and the advice names that variable."""
    p = project()
    researcher = user("researcher-r")
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=researcher)
    blocked = research.extract_produce(
        project=p, dataset=big_pool, year=2026, researcher=researcher,
        quasi_identifiers=["size"], sensitive="", variables=["district", "staff"],
    )  # fmt: skip
    assert blocked.status == OutputStatus.BLOCKED
    assert blocked.result["records"] == []
    assert blocked.result["k"] < 10
    assert set(blocked.result["checked"]) == {"size", "district", "staff"}
    assert any("(staff)" in a for a in blocked.result["advice"])
    # The sensitive answer alone is exempt from the k check (it is l-diverse instead).
    passing = research.extract_produce(
        project=p, dataset=big_pool, year=2026, researcher=researcher,
        quasi_identifiers=["size"], sensitive="staff", variables=[],
    )  # fmt: skip
    assert passing.status == OutputStatus.PASSED


def test_bad_input_gets_a_clear_answer_not_a_server_error(project, pooled_world, member_a,
                                                          client_for, user):  # fmt: skip
    """Malformed or out-of-range years and ids: 404 or a message, and no snapshot of a year
    the dataset does not have."""
    from reporting.models import Snapshot

    p = project()
    url = p.get_absolute_url()
    researcher = client_for(user("researcher-r"), None)
    assert researcher.get(f"{url}?year=abc").status_code == 404
    assert researcher.get(f"{url}?year=1999").status_code == 404
    for year in ("abc", "99999", "2031"):
        response = researcher.post(url, {"snapshot": "1", "year": year})
        assert response.status_code == 400
        assert "Choose one of this dataset" in response.content.decode()
    assert not Snapshot.objects.filter(project=p).exists()
    with pytest.raises(ValidationError):
        research.snapshot_take(project=p, dataset=pooled_world["dataset"], year=2031,
                               acting_user=user("researcher-r"))  # fmt: skip
    admin = client_for(user("admin-c"), None)
    assert admin.post("/research/releases/", {"output": "abc"}).status_code == 404
    manager = client_for(user("manager-a"), member_a)
    response = manager.post("/reports/research/", {"agreement": "1", "dataset": "abc"},
                            follow=True)  # fmt: skip
    assert "Choose one of your research agreements and a dataset." in response.content.decode()


def test_an_admin_who_is_also_a_researcher_must_be_named_on_the_project(
    big_pool, project, client_for, user
):
    """A consortium admin with the researcher role sees outputs in the release log, but
    cannot produce from or download (release) an output of a project that does not name
    them."""
    from django.contrib.auth.models import Group

    from tenants.roles import RESEARCHERS

    p = project()
    researcher, admin = user("researcher-r"), user("admin-c")
    admin.groups.add(Group.objects.get(name=RESEARCHERS))
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=researcher)
    output = research.table_produce(project=p, dataset=big_pool, year=2026,
                                    researcher=researcher, rows="district")  # fmt: skip
    client = client_for(admin, None)
    assert client.get(output.get_absolute_url()).status_code == 200
    assert client.get(f"/research/outputs/{output.pk}/download.csv").status_code == 404
    response = client.post(f"/research/outputs/{output.pk}/action/", {"action": "coarser"})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        research.output_release(output=output, acting_user=admin)
    output.refresh_from_db()
    assert output.status == OutputStatus.PASSED
    assert ResearchOutput.objects.filter(project=p).count() == 1


def test_releasing_an_output_asks_first(big_pool, project, user, client_for):
    """The first download of a passed output shows what releasing means and releases
    nothing; confirming releases it and gives the file; a released one downloads at once."""
    p = project()
    researcher = user("researcher-r")
    research.snapshot_take(project=p, dataset=big_pool, year=2026, acting_user=researcher)
    output = research.table_produce(project=p, dataset=big_pool, year=2026,
                                    researcher=researcher, rows="district")  # fmt: skip
    assert output.status == OutputStatus.PASSED
    client = client_for(researcher, None)
    url = f"/research/outputs/{output.pk}/download.csv"
    asking = client.get(url)
    assert asking.status_code == 200
    assert "A release cannot be withdrawn." in asking.content.decode()
    output.refresh_from_db()
    assert output.status == OutputStatus.PASSED
    released = client.post(url, {"confirm": "yes"})
    assert released["Content-Type"].startswith("text/csv")
    output.refresh_from_db()
    assert output.status == OutputStatus.RELEASED
    assert client.get(url)["Content-Type"].startswith("text/csv")
