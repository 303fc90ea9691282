-- eventsmith projection OrderSummary: table order_summaries, rules fingerprint b872d08252171208.
-- Generated from the spec. Apply after the runtime migrations (0001-0008); idempotent.
-- A change to the projection changes its fingerprint: the runner then refuses to apply until
-- rebuildProjection() has replayed the events into a new table and swapped it in (no ALTER).
BEGIN;
CREATE TABLE IF NOT EXISTS "order_summaries" (
  "order_id" uuid NOT NULL,
  "customer_id" text,
  "status" text NOT NULL DEFAULT 'placed'::text,
  "total_amount" numeric(12,2),
  "currency" text,
  "lines" integer NOT NULL DEFAULT 0::integer,
  "units" integer NOT NULL DEFAULT 0::integer,
  "cancellation_reason" text,
  "placed_at" timestamptz,
  "finished_at" timestamptz,
  "events_applied" integer NOT NULL DEFAULT 0::integer,
  "last_event_id" uuid NOT NULL,
  CONSTRAINT "order_summaries_pkey" PRIMARY KEY ("order_id")
);
CREATE INDEX IF NOT EXISTS "order_summaries_status_idx" ON "order_summaries" ("status");
CREATE INDEX IF NOT EXISTS "order_summaries_customer_id_idx" ON "order_summaries" ("customer_id");
INSERT INTO eventsmith_projections (name, txid, position, fingerprint)
VALUES ('OrderSummary', '0'::xid8, 0, 'b872d08252171208')
ON CONFLICT (name) DO NOTHING;
COMMIT;
