-- Indexes for the certificate search (GET /api/certificates?state=&text=), measured with
-- 100,000 certificates by `npm run bench:search` (README, Performance): without them a text
-- search read the whole table (p95 over a second), and a state filter walked the primary key.
-- Trigram indexes serve `ILIKE '%text%'` on each searched column (a text of three characters or more);
-- (state, id) serves a state's newest-first page and its count.
CREATE INDEX certificates_subject_trgm ON certificates USING gin (subject gin_trgm_ops);
CREATE INDEX certificates_serial_trgm ON certificates USING gin (serial gin_trgm_ops);
CREATE INDEX certificates_dns_names_trgm ON certificates USING gin (search_text(dns_names) gin_trgm_ops);
CREATE INDEX certificates_state_id_idx ON certificates (state, id);
