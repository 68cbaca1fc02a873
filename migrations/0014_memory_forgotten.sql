DROP INDEX "memories_channel_recent";--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "forgotten_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "memories_channel_forgotten" ON "memories" USING btree ("channel_id","forgotten_at") WHERE "memories"."forgotten_at" is not null;--> statement-breakpoint
CREATE INDEX "memories_channel_recent" ON "memories" USING btree ("channel_id","id") WHERE "memories"."forgotten_at" is null;