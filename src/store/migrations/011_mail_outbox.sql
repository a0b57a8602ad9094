-- Outgoing email (issue 17.9). A message is written here and committed first; only then is it
-- handed to the SMTP server, so no database transaction ever waits on SMTP. One row per effect
-- key (the mail job's): a retried job finds its row and does not send a second time.
CREATE TABLE mail_outbox (
  effect_key     text PRIMARY KEY CHECK (length(effect_key) BETWEEN 1 AND 200),
  template       text NOT NULL,
  recipients     text[] NOT NULL CHECK (cardinality(recipients) > 0),
  subject        text NOT NULL,
  body_text      text NOT NULL,
  body_html      text,
  -- The Message-ID header, fixed with the row: a resend after a lost confirmation carries the same id.
  message_id     text NOT NULL,
  attempts       integer NOT NULL DEFAULT 0,
  -- A delivery is talking to the SMTP server until then; no other delivery sends meanwhile.
  sending_until  timestamptz,
  last_error     text,
  sent_at        timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Before the outbox, a sent email was recorded as the job effect 'mail.<template>': it stays sent.
INSERT INTO mail_outbox (effect_key, template, recipients, subject, body_text, message_id, sent_at, created_at)
SELECT effect_key, substr(kind, 6), ARRAY['(sent before the outbox)'], '(sent before the outbox)', '',
       COALESCE(result->>'messageId', '<unknown@workplace-pki>'), created_at, created_at
  FROM job_effects
 WHERE kind LIKE 'mail.%'
ON CONFLICT (effect_key) DO NOTHING;
