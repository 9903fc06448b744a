"""What the profiles panel and the runs screen do to the form: open a profile or a run's
settings, and say which profile the form now matches. A mixin of `SatconfApp`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satconf.fields import Values
from satconf.runconfig import RunConfig

if TYPE_CHECKING:
    from satconf.tui.app import SatconfApp


class ProfileHooks:
    """Mixed into `SatconfApp`; `self` is the app."""

    def current_profile_values(self: SatconfApp) -> tuple[Values, list[int] | None]:
        """What a profile saved now would hold: the form's values and the GPU selection."""
        return dict(self.config.values), (None if self.config.gpus is None
                                          else list(self.config.gpus))

    def load_profile(self: SatconfApp, profile: Any) -> None:
        """Fill the form from a `satconf.profiles.Profile`; keys this INI lacks are ignored."""
        fields = self.config.fields
        values = {**fields.defaults(),
                  **{k: v for k, v in profile.values.items() if k in fields}}
        self.state.load(values, gpus=profile.gpus, python=getattr(profile, "python", None),
                        options=dict(getattr(profile, "options", {}) or {}))
        self.form.load(self.state.values)  # posts FormChanged: preview and checks follow
        self.mark_saved(profile.name)

    def load_settings(self: SatconfApp, config: RunConfig, what: str) -> None:
        """Fill the form with another run's settings (relaunch's twin: edit, then f5)."""
        self.state.load(dict(config.values), gpus=config.gpus, python=config.python,
                        options=dict(config.options))
        self.form.load(self.state.values)
        while len(self.screen_stack) > 1:  # the runs screen, a run view, the picker
            self.pop_screen()
        self._changed()
        self.notify(f"The form now holds {what}'s settings; f5 launches them", title="Runs")

    def mark_saved(self: SatconfApp, name: str | None) -> None:
        """The form now matches profile `name` on disk (after open or save)."""
        self.profile_name = name
        self.state.set_profile(name)
        self._saved = self._snapshot()
        self.dirty = False
        self._update_title()

    def retarget_profile(self: SatconfApp, name: str | None) -> None:
        """The open profile's file was renamed (`name`) or deleted (None); edits stay."""
        self.profile_name = name
        self.state.set_profile(name)
        if name is None:
            self._saved = ({}, None, {})  # the values are saved nowhere now: quitting asks
        self._refresh_dirty()
        self._update_title()
