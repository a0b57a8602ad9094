-- The application's groups (issue 11): who may decide approval requests (members of a request's
-- approver group) and who administers (workplace-pki-admin). Data, not engine configuration:
-- Camunda 8.6 has no groups, and the rules must hold on every engine. An admin changes them
-- with `npm run options -- group ...`; every change is in group_history with its actor.
CREATE TABLE group_members (
  group_id   text NOT NULL CHECK (length(group_id) BETWEEN 1 AND 100),
  username   text NOT NULL CHECK (length(username) BETWEEN 1 AND 200),
  added_by   text NOT NULL,
  added_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, username)
);

CREATE TABLE group_history (
  id         bigserial PRIMARY KEY,
  group_id   text NOT NULL,
  username   text NOT NULL,
  change     text NOT NULL CHECK (change IN ('added', 'removed')),
  actor      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);

-- The demo users of the local engine (src/engine/identity.ts): two agents, one admin.
INSERT INTO group_members (group_id, username, added_by) VALUES
  ('workplace-certificate-agent', 'agent1', 'migration'),
  ('workplace-certificate-agent', 'agent2', 'migration'),
  ('workplace-pki-admin', 'demo', 'migration');
INSERT INTO group_history (group_id, username, change, actor)
  SELECT group_id, username, 'added', 'migration' FROM group_members;
