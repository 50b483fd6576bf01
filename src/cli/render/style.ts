import { styleText } from 'node:util';
import type { AttentionWhy, ObjectState } from '../../views/index.js';

/** What a piece of text says, which the terminal's colour shows. */
export type Tone = 'bad' | 'warn' | 'good' | 'busy' | 'quiet' | 'heading' | 'added' | 'removed';

type Format = Parameters<typeof styleText>[0];
const FORMATS: Record<Tone, Format> = {
  bad: 'red',
  warn: 'yellow',
  good: 'green',
  busy: 'cyan',
  quiet: 'gray',
  heading: 'bold',
  added: 'green',
  removed: 'red',
};

export interface Style {
  paint(tone: Tone | undefined, text: string): string;
}

/** Colour (ANSI escapes) or plain text; the caller decides when, once (a TTY, no NO_COLOR). */
export function styleFor(color: boolean): Style {
  return {
    paint: (tone, text) =>
      color && tone && text ? styleText(FORMATS[tone], text, { validateStream: false }) : text,
  };
}

export const STATE_TONES: Record<ObjectState | AttentionWhy, Tone> = {
  Stalled: 'bad',
  Failing: 'bad',
  Drifted: 'warn',
  Expiring: 'warn',
  Reconciling: 'busy',
  Ready: 'good',
  Ended: 'quiet',
};
