/**
 * Azure resource IDs and Google Cloud resource names travel in URL paths, and the HTTP client and
 * the cloud read them as URLs: `.` and `..` segments are resolved (`..` steps up to the parent),
 * percent-escapes are decoded (`%2e%2e` is `..`, `%2F` a slash), a backslash is sent as a slash, `?`
 * and `#` end the path, tabs and line breaks are dropped. An identifier holding any of these names
 * something other than what it says, so Keyless refuses it instead of guessing the cloud's reading.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds.
const UNREAD = /[%?#\\\u0000-\u001f\u007f]/;

/** The first character of `id` a URL path does not carry as written, and why; undefined if none. */
export function unreadCharacter(id: string): string | undefined {
  const index = id.search(UNREAD);
  if (index < 0) return undefined;
  const char = id.charAt(index);
  const at = `at character ${index + 1}`;
  if (char === '%') {
    return `it holds % ${at}: the cloud decodes percent-escapes (%2e%2e reads as .., %2F as a slash), so it would read another path`;
  }
  if (char === '\\') return `it holds a backslash ${at}, which the HTTP client sends as a slash`;
  if (char === '?' || char === '#') {
    return `it holds ${char} ${at}, which ends a URL path: the cloud would read only what comes before it`;
  }
  const code = `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `it holds the control character ${code} ${at}, which the HTTP client drops`;
}

/** Why a `.` or `..` segment does not mean what it says; undefined for any other segment. */
export function dotSegment(segment: string): string | undefined {
  if (segment === '.') return 'which the HTTP client removes';
  if (segment === '..') {
    return 'which the HTTP client resolves as a step up to the parent, so the cloud would read another scope';
  }
  return undefined;
}

const ODD_SEGMENT = /\/\/|\/\.\.?(?:\/|$)|\/$/;

/**
 * Whether a path (a resource ID, or a resource name after its `//`) might not be read as written:
 * a quick test that finds nothing in canonical paths, so only the rest are looked at closely.
 */
export function mayReadOtherwise(path: string): boolean {
  return UNREAD.test(path) || ODD_SEGMENT.test(path) || path.startsWith('.');
}
