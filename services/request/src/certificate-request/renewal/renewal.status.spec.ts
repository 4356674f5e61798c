import { renewalStatus } from './renewal.status';

const DUE = new Date('2030-03-01T00:00:00Z');
const at = (hours: number) => new Date(DUE.getTime() + hours * 3_600_000);
const assigned = (rotationPolicy: 'Always' | 'Never' = 'Always') => ({ state: 'ASSIGNED' as const, rotationPolicy, renewalDueAt: DUE });

describe('renewalStatus', () => {
  it('is scheduled before the window opens', () => {
    expect(renewalStatus(assigned(), undefined, at(-1))).toEqual({ dueAt: DUE.toISOString(), state: 'scheduled' });
  });
  it("waits for the host once the window opened, for 'Always'", () => {
    expect(renewalStatus(assigned('Always'), undefined, at(1))?.state).toBe('waiting-for-host');
  });
  it('is in progress while a renewal is open, naming it', () => {
    expect(renewalStatus(assigned(), { id: 'r2', state: 'PENDING' }, at(1))).toEqual({ dueAt: DUE.toISOString(), requestId: 'r2', state: 'in-progress' });
  });
  it('says failed when the last renewal FAILED, and overdue a day after the due date', () => {
    expect(renewalStatus(assigned('Never'), { id: 'r2', state: 'FAILED' }, at(2))?.state).toBe('failed');
    expect(renewalStatus(assigned('Never'), { id: 'r2', state: 'FAILED' }, at(25))?.state).toBe('overdue');
    expect(renewalStatus(assigned('Always'), undefined, at(24))?.state).toBe('overdue');
  });
  it('has none for a request that is not ASSIGNED, or whose due date is not known', () => {
    expect(renewalStatus({ ...assigned(), state: 'SUPERSEDED' }, undefined, at(1))).toBeUndefined();
    expect(renewalStatus({ ...assigned(), renewalDueAt: null }, undefined, at(1))).toBeUndefined();
  });
});
