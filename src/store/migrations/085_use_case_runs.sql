-- Issue 15.6: two operators who start the same use case on the same object at once must not get
-- two processes: one runs, the other is refused (409). A start claims its object here before the
-- engine is asked; at most one claim per use case and object is open (the unique index decides
-- the race, inside PostgreSQL). A claim is open while its start is under way and while its
-- process instance runs; the API closes it when it finds the instance ended (src/store/use-case-runs.ts).
CREATE TABLE use_case_runs (
  id                   bigserial PRIMARY KEY,
  use_case             text NOT NULL CHECK (length(use_case) BETWEEN 1 AND 100),
  -- what it runs on: 'card:7', 'certificate:12', 'asset:3/profile:5' (an enrollment names both)
  object_ref           text NOT NULL CHECK (length(object_ref) BETWEEN 1 AND 200),
  started_by           text NOT NULL CHECK (length(started_by) BETWEEN 1 AND 100),
  process_instance_key text CHECK (process_instance_key ~ '^[0-9]{1,20}$'),
  started_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  ended_at             timestamptz
);
CREATE UNIQUE INDEX use_case_runs_one_open ON use_case_runs (use_case, object_ref) WHERE ended_at IS NULL;
