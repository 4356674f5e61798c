import { USAGES, normalizeHost, type Usage } from '@certflow/contracts';

/** One host of an inventory: the host FQDN, more names for the certificate, and its usages. */
export interface InventoryEntry {
  host: string;
  names: string[];
  /** Empty = the server default (all three). */
  usages: Usage[];
  /** 1-based line of the record in the file. */
  line: number;
}

export class InventoryError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
    this.name = 'InventoryError';
  }
}

/**
 * RFC 4180 records: comma-separated fields, a field in double quotes may hold commas, newlines and
 * `""` for a quote. Blank lines and lines starting with `#` are skipped. Returns each record with
 * the line it starts on.
 */
export function parseCsv(text: string): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  let i = 0;
  let line = 1;
  const s = text.replace(/^\uFEFF/, '');
  while (i < s.length) {
    const start = line;
    // comment or blank line
    if (s[i] === '#' || s[i] === '\n' || (s[i] === '\r' && s[i + 1] === '\n')) {
      while (i < s.length && s[i] !== '\n') i++;
      i++;
      line++;
      continue;
    }
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let wasQuoted = false;
    for (;;) {
      if (i >= s.length) {
        if (quoted) throw new InventoryError('a quoted field is not closed', start);
        fields.push(wasQuoted ? field : field.trim());
        break;
      }
      const c = s[i];
      if (quoted) {
        if (c === '"' && s[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          i++;
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"' && field.trim() === '') {
        quoted = true;
        wasQuoted = true;
        field = '';
        i++;
      } else if (c === ',') {
        fields.push(wasQuoted ? field : field.trim());
        field = '';
        wasQuoted = false;
        i++;
      } else if (c === '\n' || (c === '\r' && s[i + 1] === '\n')) {
        fields.push(wasQuoted ? field : field.trim());
        i += c === '\r' ? 2 : 1;
        line++;
        break;
      } else {
        if (!wasQuoted) field += c;
        else if (c.trim() !== '') throw new InventoryError(`text after a closing quote: "${c}"`, start);
        i++;
      }
    }
    out.push({ fields, line: start });
  }
  return out;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function list(value: string | undefined): string[] {
  return (value ?? '').split(/[;\s]+/).map((x) => x.trim()).filter(Boolean);
}

/**
 * An inventory: `host,names,usages` per line (a header line `host,...` is optional); names and
 * usages are separated by `;`. Every problem names its line; a host listed twice is an error.
 */
export function parseInventory(text: string): InventoryEntry[] {
  const records = parseCsv(text);
  if (records.length && records[0].fields[0]?.toLowerCase() === 'host') records.shift();
  const seen = new Map<string, number>();
  return records.map(({ fields, line }) => {
    if (fields.length > 3) throw new InventoryError(`${fields.length} fields; expected host,names,usages`, line);
    const host = normalizeHost(fields[0] ?? '');
    if (!HOSTNAME.test(host)) throw new InventoryError(`"${fields[0] ?? ''}" is not a host FQDN`, line);
    if (seen.has(host)) throw new InventoryError(`${host} is listed twice (first on line ${seen.get(host)})`, line);
    seen.set(host, line);
    const names = list(fields[1]).map((n) => n.toLowerCase());
    const usages = list(fields[2]).map((u) => {
      const found = USAGES.find((x) => x.toLowerCase() === u.toLowerCase());
      if (!found) throw new InventoryError(`"${u}" is not a usage; use ${USAGES.join(', ')}`, line);
      return found;
    });
    return { host, names: names.filter((n) => n !== host), usages: [...new Set(usages)], line };
  });
}
