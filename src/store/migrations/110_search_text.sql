-- The object search's free text over an array column (issue 14): array_to_string is only STABLE,
-- so no index can be built on it; this IMMUTABLE wrapper (text[] only) can be. search.ts calls
-- it for every `column[]` it searches, so a trigram index on the same expression serves it.
-- pg_trgm is a trusted extension: the database's owner may create it (PostgreSQL 13+).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION search_text(text[]) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT array_to_string($1, ' ') $$;
