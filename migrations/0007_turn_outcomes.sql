ALTER TABLE "processed_events" ADD COLUMN "message_id" text;--> statement-breakpoint
ALTER TABLE "processed_events" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "processed_events" ADD COLUMN "reply_id" text;--> statement-breakpoint
ALTER TABLE "processed_events" ADD COLUMN "claimed_at" timestamp with time zone DEFAULT now() NOT NULL;