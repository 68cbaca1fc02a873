ALTER TABLE "project_tasks" ADD COLUMN "approval_id" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "creator_name" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "waited_ms" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "waiting_since" timestamp with time zone;--> statement-breakpoint
-- Approvals stored before a project's task could wait for one were all chat turns: say so, as "turn" is now a tagged union.
UPDATE "tool_approvals" SET "turn" = jsonb_set("turn", '{kind}', '"turn"') WHERE "turn"->>'kind' IS NULL;
