-- Catalog search: videos.list matches its `q` as a substring of the title or the description,
-- case and accent blind. Both sides are folded by ppv_search_fold; a video's folded text is kept in
-- a stored generated column, so a search folds only the query, never a row. The folded title is
-- kept too, as the title order (folding 1,000 titles at sort time took ~15 ms).
--
-- No trigram (pg_trgm) or full-text index: under row-level security PostgreSQL uses an index only
-- for leakproof operators (a non-leakproof one could reveal rows the policy hides before the policy
-- runs), and LIKE, ILIKE and @@ are not leakproof; only a superuser can change that. The search
-- instead names the tenant (`tenant_id = …`, leakproof), so it reads that tenant's rows through
-- videos_tenant_idx and matches the precomputed text, not the whole table.

CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- unaccent() is only STABLE (its dictionary could change); naming the dictionary makes the result
-- depend on the argument alone, as a generated column needs.
CREATE FUNCTION ppv_search_fold(value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$;

ALTER TABLE videos
  ADD COLUMN search_text text NOT NULL
    GENERATED ALWAYS AS (ppv_search_fold(title || E'\n' || description)) STORED,
  ADD COLUMN title_sort text NOT NULL GENERATED ALWAYS AS (ppv_search_fold(title)) STORED;
