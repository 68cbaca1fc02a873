CREATE TABLE "tool_approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"channel_id" text NOT NULL,
	"conversation_id" text,
	"platform" text NOT NULL,
	"channel" text NOT NULL,
	"thread" text NOT NULL,
	"asker_id" text NOT NULL,
	"asker_name" text NOT NULL,
	"tool" text NOT NULL,
	"arguments" jsonb NOT NULL,
	"turn" jsonb NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"prompt_message_id" text,
	"resumed" boolean DEFAULT false NOT NULL,
	"claimed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tool_approvals" ADD CONSTRAINT "tool_approvals_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_approvals" ADD CONSTRAINT "tool_approvals_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tool_approvals_pending" ON "tool_approvals" USING btree ("expires_at") WHERE "tool_approvals"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "tool_approvals_unresumed" ON "tool_approvals" USING btree ("decided_at") WHERE "tool_approvals"."state" <> 'pending' and not "tool_approvals"."resumed";