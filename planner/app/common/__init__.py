"""Qt pieces every room of the app uses: display units, settings, worker threads.

Imports no other room of the app."""
