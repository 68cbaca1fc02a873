ALTER TABLE "project_tasks" ADD COLUMN "summary_posted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "thread" text NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "report_task" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "plan_note" text;--> statement-breakpoint
CREATE INDEX "projects_status" ON "projects" USING btree ("status");