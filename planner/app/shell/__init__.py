"""The window shell: application entry, main window, menus and GIS-tool wiring,
status bar, banners, recovery, the managed configuration's effects, network setting, about."""
