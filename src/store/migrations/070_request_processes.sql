-- Issue 18.1/18.3/18.6: a request knows the process that owns it (process_instance_key: the use
-- case's own instance, the one "Delete request" cancels) and the approval process waiting for
-- its decision (the one "Approve request" leads to), and a deactivation is a request type of its own.
ALTER TABLE requests ADD COLUMN approval_process_instance_key text
  CHECK (approval_process_instance_key ~ '^[0-9]{1,20}$');
ALTER TABLE requests DROP CONSTRAINT requests_type_check;
ALTER TABLE requests ADD CONSTRAINT requests_type_check
  CHECK (type IN ('enrollment', 'lock', 'revocation', 'deactivation'));
