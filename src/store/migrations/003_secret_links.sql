-- One-time secret links (DESIGN: secrets never enter process variables, logs or email).
-- A form shows a link; the secret behind it (PKCS#12 + password, ACME EAB credentials, SCEP
-- challenge) is shown once, then gone. Only a hash of the token is stored; the payload is
-- sealed with the master key and erased on first use or expiry.
CREATE TABLE secret_links (
  token_hash      text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  kind            text NOT NULL CHECK (kind IN ('pkcs12', 'acme-eab', 'scep-challenge')),
  -- what the secret belongs to, e.g. 'certificate:42' (never the secret itself)
  subject_ref     text NOT NULL CHECK (length(subject_ref) BETWEEN 1 AND 200),
  payload         bytea,
  created_by      text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 100),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz,
  CONSTRAINT secret_links_erased_when_used CHECK (used_at IS NULL OR payload IS NULL)
);
CREATE INDEX secret_links_expiry_idx ON secret_links (expires_at) WHERE payload IS NOT NULL;
