"""Siting: the open plan (document and undo commands), cameras on the map, the dock panels,
wording and the questions asked (Prompter), camera labels and site marks, the legend,
the data loading and first paint, proposals."""
