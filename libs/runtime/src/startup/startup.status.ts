/** What `/readyz` answers while a service is still starting. */
export interface StartingReport {
  status: 'starting';
  /** The dependencies the last check found unreachable ('nats', 'postgres'); empty while the app is being built. */
  waitingFor: string[];
}

/**
 * Where a service's start-up is: waiting for its dependencies, building its app, or started. Set
 * by `startService`; read by the readiness endpoints that answer before the app does.
 */
export class StartupStatus {
  private waiting: string[] = [];
  private started = false;

  constructor(initiallyWaitingFor: string[] = []) {
    this.waiting = [...initiallyWaitingFor];
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
    return this.started ? undefined : { status: 'starting', waitingFor: [...this.waiting] };
  }
}
