import type { RequestSnapshot } from '../domain/certificate-request.state';
import { RecentRequests } from './recent-requests';

const request = (id: string) => ({ id }) as RequestSnapshot;

describe('RecentRequests', () => {
  it('keeps the last version written of each request', () => {
    const recent = new RecentRequests();
    recent.remember(request('a'), 0);
    recent.remember(request('a'), 1);
    expect(recent.get('a')?.version).toBe(1);
    recent.forget('a');
    expect(recent.get('a')).toBeUndefined();
  });

  it('drops the oldest beyond its capacity, counting a rewrite as recent', () => {
    const recent = new RecentRequests(2);
    recent.remember(request('a'), 0);
    recent.remember(request('b'), 0);
    recent.remember(request('a'), 1);
    recent.remember(request('c'), 0);
    expect(recent.get('b')).toBeUndefined();
    expect(recent.get('a')?.version).toBe(1);
    expect(recent.size).toBe(2);
  });
});
