-- One-time secrets are reached signed in, by the person they are for (issue 17.7). A token in
-- a link was a bearer capability, and it ended up in process variables (Operate shows them) and
-- in plaintext in job_effects. Now a link has a non-secret id; only its owner, signed in, opens
-- it, and only with an explicit POST — looking (GET, HEAD, a link preview) never uses it up
-- (issue 17.8). Who opened it and from where is kept (issue 17.10).

ALTER TABLE secret_links ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();

-- Job effects stored the token's URL; keep the link's id instead, so a replayed job still
-- answers with a usable reference, and the token is gone from the database.
UPDATE job_effects e
   SET result = (e.result - 'secretLinkUrl') || jsonb_build_object('secretLinkId', l.id::text)
  FROM secret_links l
 WHERE e.result ? 'secretLinkUrl'
   AND l.token_hash = encode(sha256(convert_to(substring(e.result->>'secretLinkUrl' from '[^/]+$'), 'UTF8')), 'hex');
UPDATE job_effects SET result = result - 'secretLinkUrl' WHERE result ? 'secretLinkUrl';

-- No route takes a token any more. Links made before keep their hash only because their payload
-- is sealed under it (see secret-links.ts: the sealing context); it opens nothing by itself.
ALTER TABLE secret_links DROP CONSTRAINT secret_links_pkey;
ALTER TABLE secret_links ADD PRIMARY KEY (id);
ALTER TABLE secret_links RENAME COLUMN token_hash TO legacy_token_hash;
ALTER TABLE secret_links ALTER COLUMN legacy_token_hash DROP NOT NULL;

-- The person the secret is for (the enrollment's requester): the only one who may open it.
ALTER TABLE secret_links RENAME COLUMN created_by TO owner;

ALTER TABLE secret_links
  ADD COLUMN redeemed_by   text CHECK (length(redeemed_by) BETWEEN 1 AND 100),
  -- the client's address as the API saw it
  ADD COLUMN redeemed_from text CHECK (length(redeemed_from) BETWEEN 1 AND 100),
  -- links used before this migration have no redeemer recorded; every later use has one (secret-links.ts)
  ADD CONSTRAINT secret_links_redeemed_when_used CHECK (redeemed_by IS NULL OR used_at IS NOT NULL);

CREATE INDEX secret_links_owner_idx ON secret_links (owner, created_at);
