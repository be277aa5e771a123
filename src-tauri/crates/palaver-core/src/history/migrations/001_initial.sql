-- Conversations and their messages as a tree (edits and regenerations keep the earlier
-- versions as siblings), with trigram full-text indexes over titles and message text.

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL DEFAULT '',
    title_is_custom INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,            -- unix milliseconds
    updated_at      INTEGER NOT NULL,
    pinned          INTEGER NOT NULL DEFAULT 0,
    model           TEXT NOT NULL DEFAULT '',
    system_prompt   TEXT NOT NULL DEFAULT '',
    profile         TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT 'app', -- app | cli | quick_ask | import
    external_id     TEXT,                        -- identity of an imported conversation
    current_leaf_id TEXT                         -- the message at the end of the shown branch
);
CREATE INDEX conversations_by_recency ON conversations (pinned DESC, updated_at DESC);
CREATE UNIQUE INDEX conversations_by_external_id ON conversations (external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id         TEXT REFERENCES messages (id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT NOT NULL DEFAULT '',
    reasoning         TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'complete'
                      CHECK (status IN ('complete', 'streaming', 'cancelled', 'interrupted', 'error')),
    finish_reason     TEXT,
    error_kind        TEXT,
    error_message     TEXT,
    model             TEXT NOT NULL DEFAULT '',
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    writer_pid        INTEGER,                   -- the process streaming into this row
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;

CREATE VIRTUAL TABLE conversations_fts USING fts5 (
    title, content = 'conversations', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, title) VALUES (new.rowid, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
    INSERT INTO conversations_fts (rowid, title) VALUES (new.rowid, new.title);
END;
