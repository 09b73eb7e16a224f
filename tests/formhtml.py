"""Read the forms of a page as a browser would submit them (HTML's "constructing the entry
list"): text boxes and date boxes with their value, checked boxes and radios, the selected
options of each select (a single select with none marked sends its first option), textarea
text (line breaks as CRLF). Disabled controls and buttons send nothing; a date box whose
value is not ISO sends nothing, as in a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# A browser's value sanitisation: a date, datetime-local or time box whose value is not in
# this form shows nothing and sends an empty value (e.g. value="09/03/1971").
BROWSER_FORMS = {
    "date": re.compile(r"\d{4,}-\d{2}-\d{2}"),
    "datetime-local": re.compile(r"\d{4,}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
}
NOT_SENT = {"submit", "button", "image", "reset", "file"}
DATA_TYPES = {"text", "date", "datetime-local", "time", "number", "email", "url", "tel",
              "search", "checkbox", "radio", "password"}  # fmt: skip


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Controls a person fills in (not hidden inputs, not buttons), by name.
    data_names: set[str] = field(default_factory=set)
    # type="date"/"datetime-local"/"time" boxes: name -> value as rendered.
    date_boxes: dict[str, str] = field(default_factory=dict)
    # Boxes and textareas people type into (not selects or ticks, which have defaults).
    typed_names: set[str] = field(default_factory=set)

    def data(self) -> dict[str, list[str]]:
        """The fields as a test client's POST data (lists for repeated names)."""
        out: dict[str, list[str]] = {}
        for name, value in self.fields:
            out.setdefault(name, []).append(value)
        return out

    @property
    def prefilled(self) -> bool:
        """A box people type into already holds a value: an edit page, not a new one."""
        return any(value for name, value in self.fields if name in self.typed_names)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: dict | None = None
        self.option: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(method=a.get("method", "get").lower(), action=a.get("action", ""))
            self.forms.append(self.form)
            return
        if self.form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in NOT_SENT:
                return
            if kind in {"checkbox", "radio"}:
                self.form.data_names.add(name)
                if "checked" in a:
                    self.form.fields.append((name, a.get("value", "on")))
                return
            if kind in DATA_TYPES:
                self.form.data_names.add(name)
                self.form.typed_names.add(name)
            value = a.get("value", "")
            if kind in BROWSER_FORMS:
                self.form.date_boxes[name] = value
                value = value if BROWSER_FORMS[kind].fullmatch(value) else ""
            self.form.fields.append((name, value))
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in a, "options": []}
            self.form.data_names.add(name)
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
            self.select["options"].append(self.option)
        elif tag == "textarea" and name:
            self.textarea = {"name": name, "text": ""}
            self.form.data_names.add(name)
            self.form.typed_names.add(name)

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        if self.textarea is not None:
            self.textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None and self.form is not None:
            options = self.select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and not self.select["multiple"] and options:
                chosen = [options[0]]
            for o in chosen:
                value = o["value"] if o["value"] is not None else o["text"].strip()
                self.form.fields.append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            text = self.textarea["text"]
            # A newline straight after <textarea> is not part of the value.
            text = text[1:] if text.startswith("\n") else text
            # Browsers send a textarea's line breaks as CRLF.
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
            self.form.fields.append((self.textarea["name"], text))
            self.textarea = None
        elif tag == "form":
            self.form = None


def forms_in(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms
