-- Workplace and card objects (spec 000, 003, 004), requests (001), use-case options,
-- audit history and job effects. State lists here must match src/domain/states.ts
-- (a unit test compares them).

CREATE TABLE assets (
  id              bigserial PRIMARY KEY,
  name            text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  description     text CHECK (length(description) <= 2000),
  -- data that pre-fills enrollment requests started on the asset
  dns_names       text[] NOT NULL DEFAULT '{}',
  common_name     text CHECK (length(common_name) <= 64),
  organization    text CHECK (length(organization) <= 64),
  organizational_unit text CHECK (length(organizational_unit) <= 64),
  locality        text CHECK (length(locality) <= 128),
  country         text CHECK (country ~ '^[A-Z]{2}$'),
  owner_email     text CHECK (length(owner_email) <= 254),
  state           text NOT NULL DEFAULT 'Active' CHECK (state IN ('Active', 'Inactive', 'Pending')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE certificate_profiles (
  id              bigserial PRIMARY KEY,
  name            text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  description     text CHECK (length(description) <= 2000),
  protocol        text NOT NULL CHECK (protocol IN ('P10', 'P12', 'ACME', 'SCEP')),
  key_algorithm   text NOT NULL CHECK (key_algorithm IN ('RSA', 'EC')),
  -- RSA modulus bits, or EC curve bits (256, 384)
  min_key_size    integer NOT NULL CHECK (min_key_size BETWEEN 256 AND 16384),
  validity_days   integer NOT NULL CHECK (validity_days BETWEEN 1 AND 3650),
  -- e.g. 'CN={commonName},O={organization},C={country}'
  subject_template text NOT NULL CHECK (length(subject_template) BETWEEN 1 AND 500),
  extended_key_usage text[] NOT NULL DEFAULT '{serverAuth}',
  -- domain policy: every DNS name must end in one of these suffixes; empty = no policy
  allowed_dns_suffixes text[] NOT NULL DEFAULT '{}',
  enrollment_approval_required boolean NOT NULL DEFAULT false,
  revocation_approval_required boolean NOT NULL DEFAULT false,
  approver_group  text NOT NULL DEFAULT 'workplace-certificate-agent' CHECK (length(approver_group) BETWEEN 1 AND 100),
  approver_emails text[] NOT NULL DEFAULT '{}',
  state           text NOT NULL DEFAULT 'Active' CHECK (state IN ('Active', 'Inactive')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE card_types (
  id              text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{0,49}$'),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

-- Additional commands of a card type (spec 003: "Additional Commands" an admin adds).
CREATE TABLE card_type_commands (
  card_type_id    text NOT NULL REFERENCES card_types(id) ON DELETE CASCADE,
  command         text NOT NULL CHECK (command ~ '^[A-Za-z][A-Za-z0-9]{0,99}$'),
  label           text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  enabled         boolean NOT NULL DEFAULT false,
  updated_by      text,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (card_type_id, command)
);

CREATE TABLE cards (
  id              bigserial PRIMARY KEY,
  card_type_id    text NOT NULL REFERENCES card_types(id),
  serial_number   text NOT NULL UNIQUE CHECK (length(serial_number) BETWEEN 1 AND 100),
  holder_name     text NOT NULL CHECK (length(holder_name) BETWEEN 1 AND 200),
  holder_email    text CHECK (length(holder_email) <= 254),
  state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'inactive')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE certificates (
  id              bigserial PRIMARY KEY,
  state           text NOT NULL CHECK (state IN (
                    'Certificate requested', 'Issued', 'Valid', 'Certificate hold',
                    'Key compromised', 'Superseded', 'Cessation of operation',
                    'Privilege withdrawn', 'Affiliation changed',
                    'Rejected', 'Certificate expired',
                    'Requested', 'Registered', 'Deregistered')),
  profile_id      bigint NOT NULL REFERENCES certificate_profiles(id),
  asset_id        bigint REFERENCES assets(id),
  card_id         bigint REFERENCES cards(id),
  subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 1000),
  dns_names       text[] NOT NULL DEFAULT '{}',
  -- hex serial as issued by the CA; unknown until issuance
  serial          text UNIQUE CHECK (serial ~ '^[0-9a-f]{1,40}$'),
  not_before      timestamptz,
  not_after       timestamptz,
  pem             text CHECK (length(pem) <= 20000),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- the store never holds a private key
  CONSTRAINT certificates_no_private_key CHECK (pem IS NULL OR pem NOT LIKE '%PRIVATE KEY%')
);
CREATE INDEX certificates_asset_idx ON certificates (asset_id);
CREATE INDEX certificates_card_idx ON certificates (card_id);
CREATE INDEX certificates_profile_idx ON certificates (profile_id);

-- A card's relations to certificates and other objects (users, devices), each with its state.
CREATE TABLE card_relations (
  id              bigserial PRIMARY KEY,
  card_id         bigint NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
  related_type    text NOT NULL CHECK (related_type IN ('certificate', 'user', 'device', 'asset')),
  related_id      text NOT NULL CHECK (length(related_id) BETWEEN 1 AND 200),
  state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'inactive')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (card_id, related_type, related_id)
);

CREATE TABLE requests (
  id              bigserial PRIMARY KEY,
  type            text NOT NULL CHECK (type IN ('enrollment', 'lock', 'revocation')),
  state           text NOT NULL DEFAULT 'Registered' CHECK (state IN (
                    'Registered', 'Requested', 'Approved', 'Rejected', 'Failed', 'Completed')),
  requester       text NOT NULL CHECK (length(requester) BETWEEN 1 AND 100),
  requester_email text CHECK (length(requester_email) <= 254),
  decided_by      text CHECK (length(decided_by) <= 100),
  decided_at      timestamptz,
  rejection_reason text CHECK (length(rejection_reason) <= 2000),
  failure_reason  text CHECK (length(failure_reason) <= 2000),
  use_case        text NOT NULL CHECK (length(use_case) BETWEEN 1 AND 100),
  profile_id      bigint REFERENCES certificate_profiles(id),
  asset_id        bigint REFERENCES assets(id),
  certificate_id  bigint REFERENCES certificates(id),
  card_id         bigint REFERENCES cards(id),
  -- everything needed to carry the request out (certificate data, lock reason, ...); never a secret
  details         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
  process_instance_key text CHECK (process_instance_key ~ '^[0-9]{1,20}$'),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- "Reject: add information in the Reason for rejection text field" (spec 001)
  CONSTRAINT requests_rejection_has_reason CHECK (
    state <> 'Rejected' OR (rejection_reason IS NOT NULL AND length(btrim(rejection_reason)) > 0))
);
CREATE INDEX requests_state_idx ON requests (state);
CREATE INDEX requests_certificate_idx ON requests (certificate_id);

-- What admins switch without code, per use case (symbolic name), read when a process starts.
CREATE TABLE use_case_options (
  use_case        text PRIMARY KEY CHECK (use_case ~ '^[A-Za-z][A-Za-z0-9]{0,99}$'),
  enabled         boolean NOT NULL DEFAULT true,
  approval_step   boolean NOT NULL DEFAULT false,
  approver_group  text NOT NULL DEFAULT 'workplace-certificate-agent' CHECK (length(approver_group) BETWEEN 1 AND 100),
  approver_emails text[] NOT NULL DEFAULT '{}',
  updated_by      text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_history (
  id              bigserial PRIMARY KEY,
  object_type     text NOT NULL,
  object_id       text NOT NULL,
  from_state      text,
  to_state        text NOT NULL,
  actor           text NOT NULL,
  at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  process_instance_key text,
  reason          text
);
CREATE INDEX audit_history_object_idx ON audit_history (object_type, object_id, id);

-- Idempotency of job workers: an effect keyed by job or element instance is applied once;
-- a retry finds the stored result.
CREATE TABLE job_effects (
  effect_key      text PRIMARY KEY CHECK (length(effect_key) BETWEEN 1 AND 200),
  kind            text NOT NULL,
  result          jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Reference data ---------------------------------------------------------------------------
INSERT INTO card_types (id, name) VALUES
  ('smart-card', 'Smart card'),
  ('virtual-smart-card', 'Virtual smart card');

-- Spec 003: "This use case is disabled by default"; an admin adds it to the type's commands.
INSERT INTO card_type_commands (card_type_id, command, label, enabled) VALUES
  ('virtual-smart-card', 'VirtualSmartCardProcReactivate', 'Reactivate virtual smart card', false);

-- Default options of every use case (spec 004: "The script already exists with default values").
INSERT INTO use_case_options (use_case, enabled, approval_step) VALUES
  ('AssetsProcEnrollProfile', true, false),
  ('AssetsProcLockCertificate', true, false),
  ('AssetsProcApprovalRequest', true, false),
  ('AssetsProcApproval', true, false),
  ('CardsProcDeactivate', true, false),
  ('VirtualSmartCardProcReactivate', true, false);
