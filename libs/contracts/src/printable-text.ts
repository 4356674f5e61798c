/**
 * Text that came from outside certflow (a certificate's subject or issuer, a CSR's names, a CA's
 * error message) may hold bytes a terminal or log viewer acts on: ESC sequences that rewrite the
 * screen or the window title, a carriage return that hides what came before, a newline that forges
 * a log line, bidi overrides that show `moc.elgoog` as `google.com`. The API returns such text as
 * JSON, which escapes it; whatever prints it for a human (the CLI, log lines) passes it through
 * `printable` first.
 */

/**
 * The characters `printable` escapes: C0 controls, DEL and C1 controls (Unicode category Cc);
 * the Bidi_Control characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069); and the line
 * and paragraph separators U+2028, U+2029, which some viewers break lines on.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character above written as an escape — `\xNN` below U+0100, `\u{NNNN}` above —
 * and everything else (ordinary Unicode: "Zürich", "東京", emoji) left as is. Pure. Backslashes are
 * not doubled, so an RFC 4514 subject (`CN=a\,b`) reads as before; the result is for reading, not
 * for parsing back.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16).toUpperCase().padStart(4, '0')}}`;
}
