-- Built-in CA (issue 4). Independent of the workplace tables: assets and profiles are kept as
-- text references, no foreign keys. Secrets are only stored encrypted with the CA master key
-- (AES-256-GCM, see src/ca/master-key.ts) or as keyed hashes; passwords are never stored.

-- Root and issuing CA, created on first start.
CREATE TABLE ca_authorities (
  role                   text PRIMARY KEY CHECK (role IN ('root', 'issuing')),
  certificate_pem        text NOT NULL,
  private_key_encrypted  bytea NOT NULL,            -- PKCS#8 DER, sealed with the master key
  -- Incremented with every status change of an issued certificate (issuing row), so the CRL
  -- knows when it is out of date.
  revocation_revision    bigint NOT NULL DEFAULT 0,
  created_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ca_certificates (
  serial             text PRIMARY KEY,              -- lower-case hex
  idempotency_key    text UNIQUE,                   -- job / element instance key of the issuing call
  request_fingerprint text NOT NULL,                -- hash of the non-secret request, to spot a reused key
  origin             text NOT NULL CHECK (origin IN ('p10', 'p12')),
  profile_id         text NOT NULL,
  subject            text NOT NULL,
  dns_names          text[] NOT NULL DEFAULT '{}',
  not_before         timestamptz NOT NULL,
  not_after          timestamptz NOT NULL,
  certificate_pem    text NOT NULL,
  status             text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'hold', 'revoked')),
  revocation_reason  text CHECK (revocation_reason IN ('unspecified', 'keyCompromise', 'affiliationChanged',
                       'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'certificateHold')),
  revoked_at         timestamptz,
  issued_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'valid') = (revoked_at IS NULL)),
  CHECK ((status = 'hold') = (revocation_reason IS NOT DISTINCT FROM 'certificateHold'))
);
CREATE INDEX ca_certificates_listed ON ca_certificates (status) WHERE status <> 'valid';

-- Server-generated PKCS#12 files waiting for their one download.
CREATE TABLE ca_pending_pkcs12 (
  id                 uuid PRIMARY KEY,
  serial             text NOT NULL UNIQUE REFERENCES ca_certificates (serial),
  pkcs12_encrypted   bytea,                         -- sealed; set to NULL on download or expiry
  file_name          text NOT NULL,
  expires_at         timestamptz NOT NULL,
  downloaded_at      timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- Results of revoke / hold / release / deregister, keyed by the caller's idempotency key.
CREATE TABLE ca_operations (
  idempotency_key    text PRIMARY KEY,
  operation          text NOT NULL,
  request_fingerprint text NOT NULL,
  result             jsonb NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- CRLs as issued; the newest is served until a status changes or it ages.
CREATE TABLE ca_crls (
  crl_number         bigint PRIMARY KEY,
  revocation_revision bigint NOT NULL,
  this_update        timestamptz NOT NULL,
  next_update        timestamptz NOT NULL,
  crl_der            bytea NOT NULL
);

-- ACME External Account Bindings (RFC 8555 7.3.4).
CREATE TABLE ca_acme_bindings (
  id                 uuid PRIMARY KEY,
  idempotency_key    text NOT NULL UNIQUE,
  request_fingerprint text NOT NULL,
  key_id             text NOT NULL UNIQUE,
  hmac_key_encrypted bytea NOT NULL,                -- sealed: the ACME server needs it back to verify the EAB
  asset_ref          text NOT NULL,
  profile_id         text NOT NULL,
  dns_names          text[] NOT NULL,
  state              text NOT NULL CHECK (state IN ('Registered', 'Deregistered')),
  registered_at      timestamptz NOT NULL DEFAULT now(),
  deregistered_at    timestamptz
);

-- SCEP one-time challenge passwords.
CREATE TABLE ca_scep_challenges (
  id                 uuid PRIMARY KEY,
  idempotency_key    text NOT NULL UNIQUE,
  request_fingerprint text NOT NULL,
  challenge_hash     bytea NOT NULL UNIQUE,         -- HMAC-SHA256 keyed from the master key
  asset_ref          text NOT NULL,
  profile_id         text NOT NULL,
  common_name        text NOT NULL,
  dns_names          text[] NOT NULL DEFAULT '{}',
  state              text NOT NULL CHECK (state IN ('Registered', 'Deregistered')),
  expires_at         timestamptz NOT NULL,
  used_at            timestamptz,
  registered_at      timestamptz NOT NULL DEFAULT now(),
  deregistered_at    timestamptz
);
