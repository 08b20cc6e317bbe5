"""Cells written to CSV and XLSX files people open in spreadsheets: never a live formula."""

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will never run: text starting like a formula gets a leading quote.

    Numbers are written as plain numerals (a negative figure keeps its sign); anything
    else that starts with = + - @ tab or CR is escaped (OWASP's CSV injection advice).
    """
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_LEADS) and not is_number(text):
        return "'" + text
    return text


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower() not in ("nan", "-nan", "+nan", "inf", "-inf", "+inf")
