"""Textual user interface over the analyzer."""
