"""The campaign's records (报名人数统计 … 拟聘用人员公示) read back: XLSX with openpyxl, PDF with pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from server.exports import campaign_pdf, campaign_xlsx
from server.exports.campaign_record import (
    RECORDS,
    BatchData,
    CampaignData,
    build,
    filename,
    head_of,
    mask_id,
)

HEAD = "ab" * 32


def campaign() -> CampaignData:
    posts = [
        {"code": "A01", "name": "副主任", "unit": "党政办公室", "level": 3, "openings": 1, "shortlist_ratio": "2"},
        {"code": "B01", "name": "工作人员", "unit": "投资促进局", "level": 1, "openings": 2, "shortlist_ratio": "1.5"},
    ]
    applicants = [
        {"id": 1, "name": "赵明远", "id_number": "320582198506150012"},
        {"id": 2, "name": "=HYPERLINK(\"http://x\")", "id_number": "210502197003080023"},
        {"id": 3, "name": "刘䶮", "id_number": "21050219880101002X"},
        {"id": 4, "name": "王𠀀明", "id_number": "210502199001010011"},
    ]
    checks_ok = {"education": True, "retirement": True, "standing": True, "scope": True}
    applications = [
        {"id": 11, "applicant_id": 1, "post_code": "A01", "status": "approved", "checks": checks_ok, "eligible": True,
         "outcomes": {"inspection": {"result": "pass"}, "decision": {"result": "appointed"}}},
        {"id": 12, "applicant_id": 2, "post_code": "A01", "status": "rejected", "eligible": False,
         "checks": {**checks_ok, "retirement": False}, "review_reason": "不足一个聘期"},
        {"id": 13, "applicant_id": 3, "post_code": "A01", "status": "approved", "checks": checks_ok, "eligible": True},
        {"id": 14, "applicant_id": 4, "post_code": "B01", "status": "withdrawn", "checks": checks_ok, "eligible": True},
    ]
    ranking = {"positions": [
        {"code": "A01", "name": "副主任", "openings": 1, "shortlist_size": 2, "ranking": [
            {"rank": 1, "application_id": 11, "draw_no": 2, "candidate_name": "赵明远", "total": "86.25",
             "interview": "86.25", "eligible": True, "shortlisted": True, "tie_at_cutoff": False},
            {"rank": 2, "application_id": 13, "draw_no": 1, "candidate_name": "刘䶮", "total": "59.90",
             "interview": "59.90", "eligible": False, "shortlisted": False, "tie_at_cutoff": False},
        ]},
    ]}
    batch = BatchData(
        batch={"id": 5, "name": "第一批次", "scope": "internal", "apply_from": "2026-03-02",
               "apply_until": "2026-03-06", "change_until": "2026-03-09", "posts": ["A01", "B01"]},
        counts={"posts": [{"code": "A01", "name": "副主任", "openings": 1, "applicants": 3},
                          {"code": "B01", "name": "工作人员", "openings": 2, "applicants": 0}]},
        applications=applications,
        ranking=ranking,
        publicity={"published_on": "2026-09-25", "ends_on": "2026-10-09",
                   "appointees": [{"application_id": 11, "name": "赵明远", "post_code": "A01"}]},
    )
    return CampaignData(
        campaign={"id": 7, "title": "开发区竞聘上岗", "announced_on": "2026-03-01", "term_years": 2, "pass_line": "60"},
        posts=posts, batches=[batch], applicants=applicants, head_seq=42, head_hash=HEAD,
    )


MADE = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


def sheet_values(body: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(__import__("io").BytesIO(body))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def cells(body: bytes) -> list[object]:
    return [v for row in sheet_values(body) for v in row if v is not None]


def pdf_text(body: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "record.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_mask_id_keeps_four_and_four() -> None:
    assert mask_id("320582198506150012") == "3205**********0012"
    assert mask_id("3205**********0012") == "3205**********0012"
    assert mask_id("") == ""


def test_head_of_reads_the_last_line() -> None:
    assert head_of([]) == (0, "0" * 64)
    assert head_of(['{"seq": 1, "hash": "aa"}', '{"seq": 2, "hash": "bb"}', ""]) == (2, "bb")


@pytest.mark.parametrize("name", list(RECORDS))
def test_every_record_as_xlsx_and_pdf(name: str, tmp_path: Path) -> None:
    record = build(name, campaign(), MADE)
    values = cells(campaign_xlsx.render(record))
    assert f"{RECORDS[name]} · 开发区竞聘上岗" in values
    assert HEAD in values
    text = pdf_text(campaign_pdf.render(record), tmp_path)
    assert RECORDS[name] in text
    assert HEAD in text
    assert "竞聘工作审计链头哈希（共 42 条事件" in text
    assert filename(record, "pdf") == (f"{RECORDS[name]}-开发区竞聘上岗.pdf", f"campaign-7-{name}.pdf")


def test_counts_per_post_with_a_total(tmp_path: Path) -> None:
    rows = sheet_values(campaign_xlsx.render(build("counts", campaign(), MADE)))
    a01 = next(r for r in rows if r[0] == "A01")
    assert a01[:7] == ["A01", "党政办公室 副主任", 1, 3, 2, 1, 0]
    total = next(r for r in rows if r[0] == "合计")
    assert total[2:7] == [3, 3, 2, 1, 1]
    text = pdf_text(campaign_pdf.render(build("counts", campaign(), MADE)), tmp_path)
    assert "报名人数" in text and "第一批次" in text


def test_review_names_the_failed_check_and_masks_ids(tmp_path: Path) -> None:
    record = build("review", campaign(), MADE)
    body = campaign_xlsx.render(record)
    values = [str(v) for v in cells(body)]
    assert "3205**********0012" in values
    assert not any("198506150012" in v and "*" not in v for v in values)
    rejected = next(r for r in sheet_values(body) if r[0] == "A01" and r[2] == "2105**********0023")
    assert rejected[7] == "审查未通过"
    assert "距法定退休年龄不足一个聘期" in rejected[8] and "不足一个聘期" in rejected[8]
    text = pdf_text(campaign_pdf.render(record), tmp_path)
    assert "3205**********0012" in text
    assert "320582198506150012" not in text


def test_a_formula_like_name_stays_text() -> None:
    book = openpyxl.load_workbook(__import__("io").BytesIO(campaign_xlsx.render(build("review", campaign(), MADE))))
    found = [c for row in book.active.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")']
    assert found and all(c.data_type == "s" for c in found)


def test_scores_are_exact_numbers_with_their_decimals(tmp_path: Path) -> None:
    body = campaign_xlsx.render(build("scores", campaign(), MADE))
    book = openpyxl.load_workbook(__import__("io").BytesIO(body))
    row = next(r for r in book.active.iter_rows() if r[2].value == "赵明远")
    assert row[4].value == 86.25 and row[4].number_format == "0.00"
    low = next(r for r in book.active.iter_rows() if r[2].value == "刘䶮")
    assert low[4].number_format == "0.00" and low[5].value == "否"
    text = pdf_text(campaign_pdf.render(build("scores", campaign(), MADE)), tmp_path)
    assert "86.25" in text and "59.90" in text


def test_inspection_lists_the_shortlist_with_outcomes() -> None:
    rows = sheet_values(campaign_xlsx.render(build("inspection", campaign(), MADE)))
    listed = [r for r in rows if r[0] == "A01"]
    assert [r[3] for r in listed] == ["赵明远"]
    assert listed[0][5:7] == ["通过", "拟聘用"]


def test_publicity_with_its_dates_and_rare_names(tmp_path: Path) -> None:
    record = build("publicity", campaign(), MADE)
    assert any("2026-09-25 至 2026-10-09" in n for s in record.sections for n in s.notes)
    text = pdf_text(campaign_pdf.render(record), tmp_path)
    assert "赵明远" in text and "2026-10-09" in text


def test_rare_characters_print_through_the_fallback_fonts(tmp_path: Path) -> None:
    body, missing = campaign_pdf.render_report(build("review", campaign(), MADE))
    text = pdf_text(body, tmp_path)
    if missing:
        assert "无法显示" in text  # said on the sheet, never silently blank
    else:
        assert "刘䶮" in text and "王𠀀明" in text


def test_an_empty_batch_still_prints() -> None:
    data = campaign()
    data.batches[0] = BatchData(batch=data.batches[0].batch)
    for name in RECORDS:
        assert campaign_xlsx.render(build(name, data, MADE))
        assert campaign_pdf.render(build(name, data, MADE)).startswith(b"%PDF")


def test_the_qr_code_carries_the_chain_head(tmp_path: Path) -> None:
    if not (shutil.which("zbarimg") and shutil.which("pdftoppm")):
        pytest.skip("zbarimg (zbar-tools) or pdftoppm (poppler-utils) is not installed")
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(campaign_pdf.render(build("publicity", campaign(), MADE)))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True).stdout
    assert found.strip() == f"interview-kiosk campaign=7 seq=42 head={HEAD}"
