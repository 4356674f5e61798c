/** `#/requests?state=X` → {path: '/requests', query: URLSearchParams}. */
export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/requests';
  const [path, qs] = raw.split('?');
  return { path: path || '/requests', query: new URLSearchParams(qs ?? '') };
}
