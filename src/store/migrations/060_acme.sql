-- ACME server state (RFC 8555, issue 12.1): nonces, accounts, orders and their authorizations.
-- An account exists only through an External Account Binding (ca_acme_bindings): it is bound
-- to that registration, and so to its asset and DNS names.

CREATE TABLE acme_nonces (
  nonce       text PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX acme_nonces_expiry ON acme_nonces (expires_at);

CREATE TABLE acme_accounts (
  id             uuid PRIMARY KEY,
  profile_id     text NOT NULL,
  binding_id     uuid NOT NULL REFERENCES ca_acme_bindings (id),
  eab_key_id     text NOT NULL,
  jwk            jsonb NOT NULL,
  jwk_thumbprint text NOT NULL,
  contact        text[] NOT NULL DEFAULT '{}',
  status         text NOT NULL CHECK (status IN ('valid', 'deactivated', 'revoked')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (profile_id, jwk_thumbprint)
);

CREATE TABLE acme_orders (
  id             uuid PRIMARY KEY,
  account_id     uuid NOT NULL REFERENCES acme_accounts (id),
  status         text NOT NULL CHECK (status IN ('pending', 'ready', 'processing', 'valid', 'invalid')),
  identifiers    text[] NOT NULL,
  expires_at     timestamptz NOT NULL,
  error          jsonb,
  certificate_id bigint REFERENCES certificates (id),
  serial         text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX acme_orders_account ON acme_orders (account_id);
CREATE INDEX acme_orders_serial ON acme_orders (serial) WHERE serial IS NOT NULL;

-- One authorization per identifier of an order, each with one http-01 challenge.
CREATE TABLE acme_authorizations (
  id               uuid PRIMARY KEY,
  order_id         uuid NOT NULL REFERENCES acme_orders (id),
  identifier       text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
  expires_at       timestamptz NOT NULL,
  challenge_token  text NOT NULL,
  challenge_status text NOT NULL CHECK (challenge_status IN ('pending', 'processing', 'valid', 'invalid')),
  validated_at     timestamptz,
  error            jsonb
);
CREATE INDEX acme_authorizations_order ON acme_authorizations (order_id);
