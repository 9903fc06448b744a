"""The app's keys for finding and moving in the form: filter, modified only, reset all,
the checks panel, the whole command, "Go to field". A mixin of `SatconfApp`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satconf.tui.app import SatconfApp


class FormActions:
    """Mixed into `SatconfApp`; `self` is the app."""

    def action_filter_fields(self: SatconfApp) -> None:
        from satconf.tui.field_finder import FieldFilter

        self.query_one(FieldFilter).open()

    def action_clear_filter(self: SatconfApp) -> None:
        from satconf.tui.field_finder import FieldFilter

        form = self.form
        if not form.filter_text and not form.modified_only:
            return
        self.query_one(FieldFilter).close()
        form.modified_only = False
        form.set_filter("")
        key = form.focused_key()
        if key is not None:  # the field stays in view among all the others
            self.call_after_refresh(form.focus_field, key)

    def action_modified_only(self: SatconfApp) -> None:
        only = self.form.toggle_modified_only()
        shown = len(self.form.visible_keys())
        self.notify(f"Showing the {shown} modified field(s); f9 shows all" if only
                    else "Showing every field", timeout=3)
        if only and shown:
            self.form.focus_field(self.form.visible_keys()[0])

    def action_reset_all(self: SatconfApp) -> None:
        from satconf.tui.dialogs import ConfirmScreen

        modified = [s.key for s in self.state.fields if self.form.is_modified(s.key)]
        if not modified:
            self.notify("Every field already has its default", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.form.load(self.state.fields.defaults())
                self.notify(f"Reset {len(modified)} field(s) to their defaults", timeout=3)

        self.push_screen(ConfirmScreen(
            f"Put {len(modified)} field(s) back to their defaults?\n"
            + ", ".join(self.state.fields[k].flag for k in modified[:8])
            + (" …" if len(modified) > 8 else ""), title="Reset all", yes="Reset"), answered)

    def action_focus_checks(self: SatconfApp) -> None:
        panel = self.findings_panel
        if panel.has_focus:
            keys = self.form.visible_keys()
            if keys:
                self.form.focus_field(keys[0])
            return
        panel.focus()
        panel.scroll_visible(animate=False)

    def action_show_command(self: SatconfApp) -> None:
        from satconf.tui.command_screen import CommandScreen

        if not self.preview.command:
            self.notify("No command while the form has errors", severity="warning")
            return
        self.push_screen(CommandScreen(f"Command · {self.state.engine} engine",
                                       self.preview.command))

    def go_to_field(self: SatconfApp, key: str) -> None:
        """Show and focus one field (clearing a filter that hides it)."""
        form = self.form
        if not form.visible(form.fields[key]):
            from satconf.tui.field_finder import FieldFilter

            self.query_one(FieldFilter).close()
            form.modified_only = False
            form.set_filter("")
        form.focus_field(key)
