"""satconf's Textual app; the only package that imports Textual. Entry: `tui.app.run_app`."""
