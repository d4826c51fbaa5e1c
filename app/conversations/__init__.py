"""Conversations: the typed transcript, its ids, and saving and resuming it."""
