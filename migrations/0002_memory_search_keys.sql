-- Full-text keys of a memory scoped to its channel, for the GIN index memories_search_keys that
-- recall uses: one key per lexeme of `search`, "<length of channel>:<channel>:<lexeme>" (the length
-- prefix keeps keys unambiguous whatever the channel id holds). Posting lists of this index hold
-- one channel's memories only, so a common word in a busy channel costs nothing in the others.
-- IMMUTABLE because index expressions must be; PARALLEL UNSAFE on purpose: it keeps recall's
-- small, bounded queries from being planned as parallel scans, whose worker start-up alone would
-- cost more than the whole query.
CREATE FUNCTION memory_search_keys(channel text, search tsvector) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL UNSAFE COST 1000
  AS $$
    SELECT array(
      SELECT length(channel)::text || ':' || channel || ':' || t.lexeme
      FROM unnest(tsvector_to_array(search)) WITH ORDINALITY AS t(lexeme, n)
      ORDER BY t.n)
  $$;
