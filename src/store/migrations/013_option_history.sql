-- The history of what admins switch (issue 17.10): use-case options and card-type commands kept
-- only their last updated_by. Every change is a row here, with its actor, what it was and what
-- it became (the option values, never anything secret). Changes of objects are in audit_history.
CREATE TABLE option_history (
  id         bigserial PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('use case option', 'card type command')),
  -- the use case's symbolic name, or '<card type>/<Command>'
  key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  before     jsonb NOT NULL CHECK (jsonb_typeof(before) = 'object'),
  after      jsonb NOT NULL CHECK (jsonb_typeof(after) = 'object'),
  actor      text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
  at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX option_history_key_idx ON option_history (kind, key, id);
