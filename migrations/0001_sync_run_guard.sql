-- Guards a sync page's batch: raises (and so rolls the whole batch back) unless the run is still
-- PENDING or RUNNING, so a late duplicate message of a finished run never stamps or sweeps rows.
CREATE OR REPLACE FUNCTION sync_run_guard(run_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM sync_logs WHERE id = run_id AND status IN ('PENDING', 'RUNNING')) THEN
    RAISE EXCEPTION 'sync run % is not active', run_id USING ERRCODE = 'P0001', HINT = 'sync_run_inactive';
  END IF;
END;
$$;
