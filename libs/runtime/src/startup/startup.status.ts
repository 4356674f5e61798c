/** What `/readyz` answers (503) while a service is still starting. */
export interface StartingReport {
  status: 'starting';
  /** The dependencies the last check found unreachable ('nats', 'postgres'); empty while the app is being built. */
  waitingFor: string[];
  /** The same as the running service's `checks`: whether each dependency answered the last check. */
  checks: Record<string, boolean>;
}

/**
 * Where a service's start-up is: waiting for its dependencies, building its app, or started. Set
 * by `startService`; read by the readiness endpoints that answer before the app does.
 */
export class StartupStatus {
  private waiting: string[];
  private started = false;

  /** @param dependencies every dependency's name; each counts as unreachable until checked. */
  constructor(private readonly dependencies: string[]) {
    this.waiting = [...dependencies];
  }

  waitingFor(names: string[]): void {
    this.waiting = [...names];
  }

  markStarted(): void {
    this.started = true;
    this.waiting = [];
  }

  /** The starting answer, or undefined once started (readiness is then the live checks'). */
  report(): StartingReport | undefined {
    if (this.started) return undefined;
    return {
      status: 'starting',
      waitingFor: [...this.waiting],
      checks: Object.fromEntries(this.dependencies.map((d) => [d, !this.waiting.includes(d)])),
    };
  }
}
