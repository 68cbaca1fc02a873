DROP INDEX "memories_search_keys";--> statement-breakpoint
CREATE INDEX "memories_search_keys" ON "memories" USING gin (memory_search_keys("channel_id", "search")) WITH (fastupdate=false);--> statement-breakpoint
-- Room on each page for the row versions recall's access bumps write: they change no indexed
-- column, so with free space they stay HOT updates and touch no index (new pages only).
ALTER TABLE "memories" SET (fillfactor = 90);
