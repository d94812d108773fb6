"""What may be written in a cell: the school's mark scale (R-MRK-1), the special period and
final values (R-FIN-2) and the attendance letters typed into the grid."""

from django.utils.translation import gettext_lazy as _

from accounts.models import SchoolSettings

PASS = "зч"
FAIL = "нз"
SCALES = {
    SchoolSettings.MarkScale.ONE_TO_FIVE: ("1", "2", "3", "4", "5"),
    SchoolSettings.MarkScale.TWO_TO_FIVE: ("2", "3", "4", "5"),
    SchoolSettings.MarkScale.PASS_FAIL: (PASS, FAIL),
}
# spellings a teacher types for зачёт / незачёт
PASS_SPELLINGS = {"зч": PASS, "з": PASS, "зачёт": PASS, "зачет": PASS, "+": PASS}
FAIL_SPELLINGS = {"нз": FAIL, "незачёт": FAIL, "незачет": FAIL, "-": FAIL}

# R-FIN-2: special period and final values
CREDIT = "зач"
NOT_ATTESTED = "н/а"
ACADEMIC_DEBT = "а/з"
VALID_NOT_PASSED = "НПА"
EXEMPT = "осв"
SPECIAL_VALUES = {
    CREDIT: _("зачёт"),
    NOT_ATTESTED: _("not attested"),
    ACADEMIC_DEBT: _("academic debt"),
    VALID_NOT_PASSED: _("did not pass for a valid reason"),
    EXEMPT: _("exempt"),
}
SPECIAL_SPELLINGS = {
    "зач": CREDIT,
    "зачёт": CREDIT,
    "зачет": CREDIT,
    "н/а": NOT_ATTESTED,
    "на": NOT_ATTESTED,
    "а/з": ACADEMIC_DEBT,
    "аз": ACADEMIC_DEBT,
    "нпа": VALID_NOT_PASSED,
    "осв": EXEMPT,
    "осв.": EXEMPT,
}

ABSENT_LETTERS = {"н", "n"}
LATE_LETTERS = {"о", "оп", "o"}


def normalise(raw: str) -> str:
    return " ".join((raw or "").split()).lower()


def mark_parse(scale: str, raw: str) -> tuple[str, int | None] | None:
    """(value, points) for a current mark typed in the school's scale, or None."""
    text = normalise(raw)
    if scale == SchoolSettings.MarkScale.PASS_FAIL:
        value = PASS_SPELLINGS.get(text) or FAIL_SPELLINGS.get(text)
        return (value, None) if value else None
    if text in SCALES.get(scale, SCALES[SchoolSettings.MarkScale.ONE_TO_FIVE]):
        return text, int(text)
    return None


def scale_hint(scale: str) -> str:
    values = SCALES.get(scale, SCALES[SchoolSettings.MarkScale.ONE_TO_FIVE])
    return ", ".join(values)


def final_parse(scale: str, raw: str) -> tuple[str, int | None] | None:
    """(value, points) for a period or final mark: a mark of the scale (зачёт for pass/fail
    schools) or one of the special values."""
    text = normalise(raw)
    if text in SPECIAL_SPELLINGS:
        return SPECIAL_SPELLINGS[text], None
    if scale == SchoolSettings.MarkScale.PASS_FAIL:
        if text in PASS_SPELLINGS:
            return CREDIT, None
        if text in FAIL_SPELLINGS:
            return ACADEMIC_DEBT, None
        return None
    parsed = mark_parse(scale, raw)
    return parsed
