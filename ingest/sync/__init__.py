"""Live sync: mailboxes over IMAP, kept current run after run (CalDAV calendars are to come)."""
