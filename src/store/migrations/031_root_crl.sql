-- The root CA's CRL (issue 17.20): the issuing CA certificate names it as its CRL distribution
-- point, so a relying party that checks the whole chain (openssl -crl_check_all) finds it.
-- The root signs only the issuing CA, and its key is used only when the CA is created: the
-- CRL is made then, valid until the issuing CA expires, and served at /api/crl/root.
CREATE TABLE ca_root_crls (
  crl_number   bigint PRIMARY KEY,
  this_update  timestamptz NOT NULL,
  next_update  timestamptz NOT NULL,
  crl_der      bytea NOT NULL
);
