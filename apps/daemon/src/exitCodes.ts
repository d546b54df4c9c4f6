/**
 * Exit codes of `flowtrace-persistence` (documented in docs/operations.md).
 * systemd treats any non-zero code as a failure and restarts per the unit's
 * `Restart=` policy; 2 and 78 are listed in `RestartPreventExitStatus=` because
 * restarting cannot fix a bad command line or a bad configuration.
 */
export const EXIT = Object.freeze({
  /** Stopped cleanly after SIGTERM/SIGINT: everything acknowledged is durable. */
  OK: 0,
  /** Fatal runtime error: start-up failed (e.g. storage cannot open) or the service crashed. */
  FAILURE: 1,
  /** Bad command line (unknown flag, malformed value). */
  USAGE: 2,
  /**
   * Bad configuration (file unreadable or invalid, invalid merged config, or a store
   * directory that does not match it, e.g. the wrong storage.useDatabase). Like sysexits' EX_CONFIG.
   */
  CONFIG: 78,
  /** Graceful stop did not finish within the deadline; the process was ended anyway. */
  STOP_TIMEOUT: 124,
  /** A second SIGTERM/SIGINT forced the exit before the graceful stop finished. */
  FORCED: 130,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
