/** Text wrapped at word boundaries to `width`, each line indented; words longer than a line stay whole. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const room = Math.max(width - indent.length, 20);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

/**
 * Prose with `commands` in backquotes: the prose wrapped, each command on a line of its own and
 * never wrapped, so it can be copied whole.
 */
export function proseWithCommands(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  text.split('`').forEach((part, i) => {
    if (i % 2 === 1) lines.push(`${indent}    ${part}`);
    else if (part.trim()) lines.push(...wrap(part, width, indent));
  });
  return lines;
}
