/**
 * The built services as OS processes, any number of instances each: what a test starts, kills and
 * restarts. Instance `i` of a service keeps its slot (and HTTP port) across restarts, and every
 * process that ever ran in a slot is remembered, so a test can ask what each one did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const SERVICES = ['trust-validation', 'assignment', 'ca-gateway', 'request'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** One slot: the process running in it now (if any), every pid that ran in it, and its output. */
interface Slot {
  child?: ChildProcess;
  pids: number[];
  logs: string[];
  /** Where in `logs` the current process's output begins. */
  since: number;
}

export class ServiceProcesses {
  private readonly slots = new Map<string, Slot>();

  /**
   * @param envFor the environment of instance `instance` of `name` (ports differ per instance).
   * @param logs every line of every instance of a service, in arrival order (what most tests read).
   */
  constructor(
    private readonly root: string,
    private readonly envFor: (name: ServiceName, instance: number) => Record<string, string>,
    readonly logs: Map<ServiceName, string[]>,
  ) {}

  private slot(name: ServiceName, instance: number): Slot {
    const key = `${name}#${instance}`;
    let s = this.slots.get(key);
    if (!s) {
      s = { pids: [], logs: [], since: 0 };
      this.slots.set(key, s);
    }
    return s;
  }

  /** Starts instance `instance` of `name`; a process still running in that slot is an error. */
  start(name: ServiceName, instance = 0): number {
    const slot = this.slot(name, instance);
    if (slot.child && slot.child.exitCode === null && slot.child.signalCode === null) {
      throw new Error(`${name}#${instance} is already running (pid ${slot.child.pid}); kill or stop it first`);
    }
    const child = spawn(process.execPath, [join(this.root, 'services', name, 'dist', 'main.js')], {
      cwd: this.root,
      env: this.envFor(name, instance),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const all = this.logs.get(name)!;
    const sink = (d: Buffer) => {
      const text = d.toString();
      all.push(text);
      slot.logs.push(text);
    };
    child.stdout!.on('data', sink);
    child.stderr!.on('data', sink);
    slot.child = child;
    slot.since = slot.logs.length;
    if (child.pid !== undefined) slot.pids.push(child.pid);
    return child.pid ?? -1;
  }

  /** Sends `signal` and waits for the exit; SIGKILL follows after 10 s if the process lingers. */
  async stop(name: ServiceName, instance = 0, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.slot(name, instance).child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill(signal);
    });
  }

  /** The pid running in the slot now, if any. */
  pid(name: ServiceName, instance = 0): number | undefined {
    const c = this.slot(name, instance).child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  /** Every pid that ever ran in the slot, oldest first. */
  pids(name: ServiceName, instance = 0): number[] {
    return [...this.slot(name, instance).pids];
  }

  /** Output of every process that ran in the slot. */
  logsOf(name: ServiceName, instance = 0): string[] {
    return this.slot(name, instance).logs;
  }

  /** Output of the process running in the slot now (or that ran last). */
  currentLogs(name: ServiceName, instance = 0): string {
    const slot = this.slot(name, instance);
    return slot.logs.slice(slot.since).join('');
  }

  /** Slots of `name` that have been started. */
  instances(name: ServiceName): number[] {
    return [...this.slots.keys()].filter((k) => k.startsWith(`${name}#`)).map((k) => Number(k.split('#')[1])).sort((a, b) => a - b);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((k) => {
      const [name, i] = k.split('#');
      return this.stop(name as ServiceName, Number(i));
    }));
  }
}
