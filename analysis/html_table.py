"""The one plain HTML table writer of the reports (every header and cell escaped)."""

import html


def table(headers, rows, text_columns=()):
    """HTML table; every header and cell is escaped.

    Args:
        headers: Column titles.
        rows: Lists of already formatted cell strings.
        text_columns: Indices of left-aligned (text) columns.
    """

    def cell(tag, i, value):
        css = ' class="text"' if i in text_columns else ""
        return f"<{tag}{css}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
