-- Where a user is emailed (issue 18.7): approvers are the members of the request's approver
-- group (group_members), and a member is emailed at the address kept here. The API records a
-- signed-in user's address from the engine's identity; an admin sets one with
-- `npm run options -- user email <user> <address>`. Every change is in user_email_history.
CREATE TABLE user_emails (
  username   text PRIMARY KEY CHECK (length(username) BETWEEN 1 AND 200),
  email      text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_email_history (
  id         bigserial PRIMARY KEY,
  username   text NOT NULL,
  email      text NOT NULL,
  actor      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);

-- The demo users of the local engine (src/engine/identity.ts), as migration 010 made them members.
INSERT INTO user_emails (username, email, updated_by) VALUES
  ('demo', 'demo@example.com', 'migration'),
  ('operator', 'operator@example.com', 'migration'),
  ('agent1', 'agent1@example.com', 'migration'),
  ('agent2', 'agent2@example.com', 'migration');
INSERT INTO user_email_history (username, email, actor) SELECT username, email, 'migration' FROM user_emails;
