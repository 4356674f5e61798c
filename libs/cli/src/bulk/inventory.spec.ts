import { parseCsv, parseInventory, InventoryError } from './inventory';

describe('inventory CSV', () => {
  it('reads host,names,usages with an optional header, ;-separated lists, comments and blank lines', () => {
    const inv = parseInventory(
      [
        'host,names,usages',
        '# the web tier',
        'web01.corp.example.com,web.corp.example.com;www.corp.example.com,Default;webservicesexternal',
        '',
        'WEB02.corp.example.com.,,',
        'pool01.corp.example.com',
      ].join('\n'),
    );
    expect(inv).toEqual([
      { host: 'web01.corp.example.com', names: ['web.corp.example.com', 'www.corp.example.com'], usages: ['Default', 'WebServicesExternal'], line: 3 },
      { host: 'web02.corp.example.com', names: [], usages: [], line: 5 },
      { host: 'pool01.corp.example.com', names: [], usages: [], line: 6 },
    ]);
  });

  it('handles quoted fields with commas, doubled quotes, newlines and CRLF', () => {
    expect(parseCsv('"a,b","say ""hi""","x\ny"\r\nc,d\r\n')).toEqual([
      { fields: ['a,b', 'say "hi"', 'x\ny'], line: 1 },
      { fields: ['c', 'd'], line: 3 },
    ]);
    expect(parseInventory('"web01.example.com","a.example.com; b.example.com","Default"')[0]).toMatchObject({ names: ['a.example.com', 'b.example.com'], usages: ['Default'] });
  });

  it('names the line of every problem', () => {
    expect(() => parseInventory('web01.example.com\nnot a host!,,\n')).toThrow(new InventoryError('"not a host!" is not a host FQDN', 2));
    expect(() => parseInventory('a.example.com,,Bogus')).toThrow(/line 1: "Bogus" is not a usage/);
    expect(() => parseInventory('a.example.com\nA.example.com')).toThrow(/line 2: a.example.com is listed twice \(first on line 1\)/);
    expect(() => parseInventory('"a.example.com')).toThrow(/line 1: a quoted field is not closed/);
    expect(() => parseInventory('a.example.com,x,Default,extra')).toThrow(/4 fields/);
  });

  it('drops the host from its own names and dedupes usages', () => {
    expect(parseInventory('a.example.com,a.example.com;b.example.com,Default;default')[0]).toMatchObject({ names: ['b.example.com'], usages: ['Default'] });
  });
});
