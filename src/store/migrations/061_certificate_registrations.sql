-- Which CA registration (ACME External Account Binding or SCEP challenge) a certificate object
-- in 'Registered' stands for, so that deregistering the object deregisters it at the CA (issue 12.3).
CREATE TABLE certificate_registrations (
  certificate_id  bigint PRIMARY KEY REFERENCES certificates (id),
  protocol        text NOT NULL CHECK (protocol IN ('ACME', 'SCEP')),
  registration_id uuid NOT NULL UNIQUE
);
