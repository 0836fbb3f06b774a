"""One reusable keyboard-only form: fields as Input / Select / TextArea, tab between them,
ctrl+s (or enter on the last one-line field) submits, escape cancels.

The form calls its `submit` coroutine itself, in a worker. A refusal (`ShopdeskError`) keeps the
form open with everything typed, shows the reason under the field it names (or above the buttons
when it names none) and raises an error notification; success dismisses the form with the result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Select, Static, TextArea

from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.plain_text import plain as plain_str
from shopdesk.tui.i18n import t
from shopdesk.tui.modals.confirm import ConfirmModal
from shopdesk.tui.refusals import refusal_text

log = logging.getLogger(__name__)

ResultType = TypeVar("ResultType")

FieldKind = Literal["input", "select", "text", "preview"]


@dataclass(frozen=True)
class FormField:
    """One row of a form. `value` is the starting text (for a select: the chosen option's value)."""

    name: str
    label: str
    kind: FieldKind = "input"
    options: Sequence[tuple[str, str]] = ()  # (label shown, value) for a select
    value: str = ""
    placeholder: str = ""
    error_fields: tuple[str, ...] = ()  # service field names whose errors show under this row
    suggestions: Sequence[str] = ()  # an input completes these as you type (→ takes one)


Values = dict[str, str]
Submit = Callable[[Values], Awaitable[Any]]
Derive = Callable[[str, Values], Values]  # (changed field, values) -> fields to set
Preview = Callable[[Values], str]


class FormModal(ModalScreen[ResultType | None], Generic[ResultType]):
    """A form whose `submit` does the work; dismissed with its result, or None on escape."""

    DEFAULT_CSS = """
    FormModal {
        align: center middle;
    }
    FormModal > #form {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        border-title-style: bold;
        background: $panel;
        padding: 0 1;
    }
    FormModal #form-body {
        height: auto;
        max-height: 1fr;
    }
    FormModal .form-row {
        height: auto;
        layout: horizontal;
    }
    FormModal .form-label {
        width: 16;
        height: 1;
        color: $text-muted;
    }
    FormModal .form-row:focus-within .form-label {
        color: $text;
        text-style: bold;
    }
    FormModal .form-input {
        width: 1fr;
    }
    FormModal TextArea.form-input {
        height: 4;
    }
    FormModal .form-preview {
        width: 1fr;
        height: auto;
        max-height: 9;
        padding: 0 1;
        background: $boost;
        color: $text;
        overflow-y: auto;
    }
    FormModal .form-error {
        display: none;
        color: $error;
        padding-left: 16;
    }
    FormModal .form-error.-shown {
        display: block;
    }
    FormModal #form-error-general {
        padding-left: 0;
        text-style: bold;
    }
    FormModal #form-hint {
        color: $text-muted;
        height: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="form.submit"),
        # Tab moves on the moment it arrives, so the keys after it in a burst (fast typing, a paste)
        # go to the next field; as an ordinary binding it acted only after they had been handed to
        # the field it was leaving.
        Binding("tab", "app.focus_next", show=False, priority=True, id="form.next"),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True, id="form.previous"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        submit: Submit,
        *,
        intro: str = "",
        preview: Preview | None = None,
        derive: Derive | None = None,
        confirm: str | None = None,
        focus: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.form_title = title
        self.fields = list(fields)
        self.submit = submit
        self.intro = intro
        self.preview = preview
        self.derive = derive
        self.confirm = confirm
        self.first_focus = focus
        self.busy = False
        self._deriving = False

    # --- building --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form") as form:
            form.border_title = self.form_title
            with VerticalScroll(id="form-body", can_focus=False):
                if self.intro:
                    yield Static(self.intro, id="form-intro", markup=False)
                for field in self.fields:
                    with Widget(classes="form-row", id=f"row-{field.name}"):
                        yield Static(field.label, classes="form-label")
                        yield self._widget(field)
                    yield Static("", classes="form-error", id=f"error-{field.name}", markup=False)
            yield Static("", classes="form-error", id="form-error-general", markup=False)
            yield Static(t("form.hint"), id="form-hint")

    def _widget(self, field: FormField) -> Widget:
        widget_id = f"field-{field.name}"
        if field.kind == "select":
            values = [value for _, value in field.options]
            return Select(
                [(label, value) for label, value in field.options],
                value=field.value if field.value in values else values[0],
                allow_blank=False,
                compact=True,
                id=widget_id,
                classes="form-input",
            )
        if field.kind == "text":
            return TextArea(
                field.value, id=widget_id, classes="form-input", compact=True,
                tab_behavior="focus", soft_wrap=True,
            )
        if field.kind == "preview":
            return Static("", id=widget_id, classes="form-preview", markup=False)
        suggester = (
            SuggestFromList(field.suggestions, case_sensitive=False) if field.suggestions else None
        )
        return Input(
            field.value, placeholder=field.placeholder, id=widget_id, classes="form-input",
            compact=True, suggester=suggester,
        )

    def on_mount(self) -> None:
        self._refresh_preview()
        target = self.first_focus or next(
            (field.name for field in self.fields if field.kind != "preview"), None
        )
        if target is not None:
            self.query_one(f"#field-{target}").focus()

    # --- values ------------------------------------------------------------------------------

    def values(self) -> Values:
        """What the user has typed or chosen, by field name."""
        found: Values = {}
        for field in self.fields:
            if field.kind == "preview":
                continue
            widget = self.query_one(f"#field-{field.name}")
            if isinstance(widget, TextArea):
                found[field.name] = widget.text
            elif isinstance(widget, Select):
                found[field.name] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, Input):
                found[field.name] = widget.value
        return found

    def set_value(self, name: str, value: str) -> None:
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            widget.text = value
        elif isinstance(widget, Select):
            widget.value = value
        elif isinstance(widget, Input):
            widget.value = value

    def _changed(self, name: str) -> None:
        self._clear_error(name)
        if self.derive is not None and not self._deriving:
            self._deriving = True
            try:
                for other, value in self.derive(name, self.values()).items():
                    self.set_value(other, value)
            finally:
                self._deriving = False
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        if self.preview is None:
            return
        for field in self.fields:
            if field.kind == "preview":
                preview = plain_str(self.preview(self.values()), multiline=True)  # names as written
                self.query_one(f"#field-{field.name}", Static).update(preview)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._changed(event.input.id.removeprefix("field-"))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id:
            self._changed(event.select.id.removeprefix("field-"))

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id:
            self._changed(event.text_area.id.removeprefix("field-"))

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last field it submits."""
        event.stop()
        editable = [field.name for field in self.fields if field.kind != "preview"]
        if event.input.id == f"field-{editable[-1]}":
            self.action_submit()
        else:
            self.focus_next()

    # --- errors ------------------------------------------------------------------------------

    def _field_for(self, error_field: str | None) -> str | None:
        if error_field is None:
            return None
        for field in self.fields:
            if field.kind != "preview" and (
                field.name == error_field or error_field in field.error_fields
            ):
                return field.name
        return None

    def show_error(self, error: ShopdeskError) -> None:
        """The reason under the field it names (or above the hint), and an error notification;
        in the UI language (a domain error's code through the catalog, tui/refusals.py)."""
        reason = refusal_text(error)
        name = self._field_for(error.field)
        target = self.query_one(
            f"#error-{name}" if name is not None else "#form-error-general", Static
        )
        target.update(reason)
        target.add_class("-shown")
        if name is not None:
            self.query_one(f"#field-{name}").focus()
        self.notify(reason, severity="error", title=self.form_title, markup=False)

    def _clear_error(self, name: str) -> None:
        for selector in (f"#error-{name}", "#form-error-general"):
            for widget in self.query(selector):
                widget.remove_class("-shown")

    # --- actions ------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def action_submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.run_worker(self._submit(), exclusive=True, exit_on_error=False)

    async def _typed(self) -> Values:
        """The fields' values once every key already sent to them is in.

        A burst of keys (fast typing, a paste) is handed to the focused field's queue faster than
        the field works through it; ctrl+s read the values before that and saved the text cut short
        ("full refund requested" stored as "fu"). A callback queued behind those keys on every field
        runs after them.
        """
        loop = asyncio.get_running_loop()
        caught_up: list[asyncio.Future[None]] = []
        for widget in self.query(".form-input"):
            future: asyncio.Future[None] = loop.create_future()
            if widget.call_later(future.set_result, None):
                caught_up.append(future)
        if caught_up:  # a field closing meanwhile drops its callback: do not wait forever
            await asyncio.wait(caught_up, timeout=2)
        return self.values()

    async def _submit(self) -> None:
        try:
            values = await self._typed()
            if self.confirm is not None:
                confirmed = await self.app.push_screen_wait(ConfirmModal(self.confirm))
                if not confirmed:
                    return
            result = await self.submit(values)
        except ShopdeskError as error:
            self.show_error(error)
        except Exception as error:  # a bug: logged, shown, and the form keeps what was typed
            log.exception("form %r failed", self.form_title)
            self.show_error(ShopdeskError(t("form.failed", error=error)))
        else:
            self.dismiss(result)
        finally:
            self.busy = False
