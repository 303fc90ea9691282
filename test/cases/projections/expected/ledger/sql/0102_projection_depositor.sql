-- eventsmith projection Depositor: table depositor, rules fingerprint 0bd077b183d3aa48.
-- Generated from the spec. Apply after the runtime migrations (0001-0008); idempotent.
-- A change to the projection changes its fingerprint: the runner then refuses to apply until
-- rebuildProjection() has replayed the events into a new table and swapped it in (no ALTER).
BEGIN;
CREATE TABLE IF NOT EXISTS "depositor" (
  "reference" text NOT NULL,
  "account_id" bigint NOT NULL,
  "total" numeric(18,4) NOT NULL,
  CONSTRAINT "depositor_pkey" PRIMARY KEY ("reference")
);
INSERT INTO eventsmith_projections (name, txid, position, fingerprint)
VALUES ('Depositor', '0'::xid8, 0, '0bd077b183d3aa48')
ON CONFLICT (name) DO NOTHING;
COMMIT;
