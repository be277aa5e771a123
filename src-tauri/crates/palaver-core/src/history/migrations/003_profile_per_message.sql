-- Each reply records the provider profile that wrote it, next to its model, so a
-- conversation that moved between providers shows which one answered what.
ALTER TABLE messages ADD COLUMN profile TEXT NOT NULL DEFAULT '';
-- Replies written before this came from the conversation's one profile.
UPDATE messages SET profile = coalesce((SELECT c.profile FROM conversations c WHERE c.id = messages.conversation_id), '')
 WHERE role = 'assistant';
