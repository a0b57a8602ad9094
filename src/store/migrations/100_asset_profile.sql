-- Issue 18.10 (spec 000, asset 'Pending': "A valid certificate profile must be assigned by using a
-- dedicated process to change the state back to 'Active'"): the certificate profile assigned to an
-- asset by AssetsProcAssignProfile. Null until one is assigned.
ALTER TABLE assets ADD COLUMN profile_id bigint REFERENCES certificate_profiles(id);
