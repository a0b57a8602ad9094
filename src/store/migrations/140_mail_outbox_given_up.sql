-- Email the outbox stops retrying (review of issue 15.4): the SMTP server refused it for good (5xx),
-- or it could not be sent within MAIL_GIVE_UP_AFTER_HOURS. `last_error` keeps why; the dispatcher
-- skips such rows and `npm run mail:given-up` lists them.
ALTER TABLE mail_outbox ADD COLUMN given_up_at timestamptz;

CREATE INDEX mail_outbox_given_up ON mail_outbox (given_up_at) WHERE given_up_at IS NOT NULL;
