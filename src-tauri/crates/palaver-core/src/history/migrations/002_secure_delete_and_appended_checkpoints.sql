-- Deleted text leaves the index; a streaming reply is saved by appending and indexed once,
-- when it ends; each streaming row names the writer (a lock file) that owns it.

-- FTS5 normally marks deleted entries and leaves their terms in the index blocks until a
-- merge; secure-delete removes them at once. The setting is stored in the index itself.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('secure-delete', 1);
-- Terms of rows deleted before this migration still sit in old segments: merging everything
-- into one segment drops them (the freed pages are zeroed: PRAGMA secure_delete is on).
INSERT INTO messages_fts (messages_fts) VALUES ('optimize');
INSERT INTO conversations_fts (conversations_fts) VALUES ('optimize');

-- The text of a streaming reply, in the order it was checkpointed. Folded into
-- messages.content when the reply ends or is recovered as interrupted. The ends are byte
-- lengths of the whole text saved so far, so a checkpoint finds what is new in one lookup.
CREATE TABLE message_parts (
    message_id    TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    content       TEXT NOT NULL DEFAULT '',
    reasoning     TEXT NOT NULL DEFAULT '',
    content_end   INTEGER NOT NULL,
    reasoning_end INTEGER NOT NULL,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;

-- The HistoryDb (one per process) streaming into the row: `<db>.writers/<writer_id>.lock`
-- is locked for as long as it lives. writer_pid stays for rows written before this.
ALTER TABLE messages ADD COLUMN writer_id TEXT;

-- A streaming row is not indexed: its text lives in message_parts until it ends. Rows
-- streaming now were indexed by the old triggers; take them out so the final text is
-- indexed exactly once.
INSERT INTO messages_fts (messages_fts, rowid, content)
    SELECT 'delete', rowid, content FROM messages WHERE status = 'streaming';

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.status != 'streaming' BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.status != 'streaming' BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        SELECT 'delete', old.rowid, old.content WHERE old.status != 'streaming';
    INSERT INTO messages_fts (rowid, content)
        SELECT new.rowid, new.content WHERE new.status != 'streaming';
END;
