/**
 * Splits a command line into words, keeping "quoted strings" (double or single quotes) together. Typographic quotes
 * count too (“…”, „…“, ‘…’): phones and word processors put them in, and Mattermost's documentation examples use them.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|[“”„]([^“”]*)[“”]|‘([^’]*)’|(\S+)/g;
  for (const m of line.matchAll(pattern)) {
    const quoted = m[1] ?? m[2];
    if (quoted !== undefined) words.push(quoted.replace(/\\(.)/g, '$1'));
    else words.push(m[3] ?? m[4] ?? m[5]);
  }
  return words;
}

export interface ParsedCommand {
  /** The trigger without its slash, lower-cased: `secure-connection`. */
  trigger: string;
  /** The first bare word after the trigger: `create`. */
  action: string;
  /** `--name value` pairs; a flag with no value is "true". */
  flags: Record<string, string>;
  /** Everything after the trigger, as typed. */
  rest: string;
}

/** Mattermost-style `/trigger action --flag value --other "quoted value"`. */
export function parseCommand(command: string): ParsedCommand | undefined {
  const trimmed = command.trim();
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return undefined;
  const [, trigger, rest] = match;
  const words = splitWords(rest);
  const flags: Record<string, string> = {};
  let action = '';
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word.startsWith('--') && word.length > 2) {
      const next = words[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        flags[word.slice(2).toLowerCase()] = next;
        i++;
      } else {
        flags[word.slice(2).toLowerCase()] = 'true';
      }
    } else if (!action) {
      action = word;
    }
  }
  return { trigger: trigger.toLowerCase(), action, flags, rest };
}
