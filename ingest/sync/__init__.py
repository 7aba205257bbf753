"""Live sync: mailboxes over IMAP and calendars over CalDAV, kept current run after run."""
