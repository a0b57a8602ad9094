-- The registration-authority group (issue 17.11, src/domain/authorization.ts): its members
-- enroll on any asset, lock or revoke any certificate, deactivate any card and reactivate
-- virtual smart cards. Everyone else acts only on what they hold; admins on everything.
-- Like 010, the local engine's demo operator (src/engine/identity.ts) is made a member, so
-- the demo works as before; an admin changes members with `npm run options -- group ...`.
INSERT INTO group_members (group_id, username, added_by) VALUES
  ('workplace-registration-authority', 'operator', 'migration')
  ON CONFLICT DO NOTHING;
INSERT INTO group_history (group_id, username, change, actor)
  VALUES ('workplace-registration-authority', 'operator', 'added', 'migration');
