"""Outbound SMS campaigns: marketing, reminders and notices to an audience CSV through the SMS outbox.

``spec`` reads the campaign file, ``store`` keeps progress and opt-outs in
SQLite, ``runner`` sends, ``display`` draws the progress bar and the summary.
The logic needs no flow engine: a campaign is messages, replies and receipts.
"""
