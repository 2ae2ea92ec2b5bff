"""An invoice as a PDF (Jinja2 template, WeasyPrint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from positrix.io.safety import check_writable

__all__ = ["write_invoice_pdf"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def write_invoice_pdf(
    invoice: dict[str, Any],
    path: str | Path,
    *,
    facility: str = "Imaging facility",
    currency: str = "EUR",
    overwrite: bool = False,
) -> Path:
    """Write ``invoice`` (from :func:`positrix.facility.invoices.invoice_as_dict`) as a PDF.

    Parameters
    ----------
    invoice
        The invoice as plain data.
    path
        Where to write the PDF; an existing file is refused unless ``overwrite``.
    facility, currency
        The heading's facility name and the currency of the amounts.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from positrix.errors import PositrixError

    try:
        from weasyprint import HTML
    except OSError as err:  # WeasyPrint loads Pango, a system library
        raise PositrixError(
            f"cannot make PDFs: {err}",
            field="--pdf",
            fix="install Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)",
        ) from None

    target = Path(path)
    check_writable([target], overwrite=overwrite)
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"])
    )
    html = environment.get_template("invoice.html").render(
        invoice=invoice, facility=facility, currency=currency
    )
    HTML(string=html, base_url=str(_TEMPLATES)).write_pdf(target)
    return target
