-- Indexes for the other collections' object search (GET /api/assets, certificate-profiles,
-- requests, cards ?state=&text=), as 111 did for certificates: without them every text search
-- read the whole table twice (the page and its total). Each trigram index is on exactly the
-- expression search.ts builds from the repository's textColumns (a `name[]` column as
-- search_text(name), `details::text` as that cast), so the planner can combine them for the OR;
-- one column left out and the whole OR falls back to a sequential scan.
-- (state, id) serves a state's newest-first page and its count.
CREATE INDEX assets_name_trgm ON assets USING gin (name gin_trgm_ops);
CREATE INDEX assets_description_trgm ON assets USING gin (description gin_trgm_ops);
CREATE INDEX assets_dns_names_trgm ON assets USING gin (search_text(dns_names) gin_trgm_ops);
CREATE INDEX assets_common_name_trgm ON assets USING gin (common_name gin_trgm_ops);
CREATE INDEX assets_state_id_idx ON assets (state, id);

CREATE INDEX certificate_profiles_name_trgm ON certificate_profiles USING gin (name gin_trgm_ops);
CREATE INDEX certificate_profiles_description_trgm ON certificate_profiles USING gin (description gin_trgm_ops);
CREATE INDEX certificate_profiles_protocol_trgm ON certificate_profiles USING gin (protocol gin_trgm_ops);
CREATE INDEX certificate_profiles_state_id_idx ON certificate_profiles (state, id);

CREATE INDEX requests_requester_trgm ON requests USING gin (requester gin_trgm_ops);
CREATE INDEX requests_use_case_trgm ON requests USING gin (use_case gin_trgm_ops);
CREATE INDEX requests_type_trgm ON requests USING gin (type gin_trgm_ops);
CREATE INDEX requests_details_trgm ON requests USING gin ((details::text) gin_trgm_ops);
CREATE INDEX requests_state_id_idx ON requests (state, id);

CREATE INDEX cards_serial_number_trgm ON cards USING gin (serial_number gin_trgm_ops);
CREATE INDEX cards_holder_name_trgm ON cards USING gin (holder_name gin_trgm_ops);
CREATE INDEX cards_holder_email_trgm ON cards USING gin (holder_email gin_trgm_ops);
CREATE INDEX cards_state_id_idx ON cards (state, id);
