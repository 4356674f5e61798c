/** An IP address from its 4 or 16 bytes: dotted IPv4, or IPv6 in RFC 5952 form (the longest run of two or more zero words as "::"). */
export function ipAddressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const words: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  let best = { at: -1, length: 1 };
  for (let i = 0; i < words.length; ) {
    let j = i;
    while (j < words.length && words[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j > i ? j : i + 1;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best.at < 0) return hex(words);
  return `${hex(words.slice(0, best.at))}::${hex(words.slice(best.at + best.length))}`;
}
