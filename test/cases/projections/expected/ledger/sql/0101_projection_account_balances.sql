-- eventsmith projection AccountBalance: table account_balances, rules fingerprint 0cc2d7786e47a860.
-- Generated from the spec. Apply after the runtime migrations (0001-0008); idempotent.
-- A change to the projection changes its fingerprint: the runner then refuses to apply until
-- rebuildProjection() has replayed the events into a new table and swapped it in (no ALTER).
BEGIN;
CREATE TABLE IF NOT EXISTS "account_balances" (
  "account_id" bigint NOT NULL,
  "owner" text NOT NULL,
  "tier" text NOT NULL,
  "balance" numeric(18,4) NOT NULL DEFAULT '0.0000'::numeric(18,4),
  "limit_amount" numeric(18,4) NOT NULL,
  "opened_on" date NOT NULL,
  "cutoff" integer NOT NULL,
  "audited_at" timestamptz NOT NULL,
  "secret" bytea NOT NULL,
  "score" double precision NOT NULL,
  "ratio" real,
  "vip" boolean NOT NULL DEFAULT false,
  "deposits" bigint NOT NULL DEFAULT 0::bigint,
  "last_sequence" bigint,
  "references" text[] NOT NULL DEFAULT '{}'::text[],
  "flags" text[] NOT NULL DEFAULT '{}'::text[],
  "opened_at" timestamptz NOT NULL,
  "last_event_id" uuid,
  "last_version" integer,
  CONSTRAINT "account_balances_pkey" PRIMARY KEY ("account_id")
);
CREATE INDEX IF NOT EXISTS "account_balances_owner_idx" ON "account_balances" ("owner");
CREATE INDEX IF NOT EXISTS "account_balances_tier_idx" ON "account_balances" ("tier");
INSERT INTO eventsmith_projections (name, txid, position, fingerprint)
VALUES ('AccountBalance', '0'::xid8, 0, '0cc2d7786e47a860')
ON CONFLICT (name) DO NOTHING;
COMMIT;
