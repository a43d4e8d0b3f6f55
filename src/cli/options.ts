/**
 * A run command's flags, generated from its kind's config schema (src/runs/kinds/): each key is a
 * flag (`batch_size` → `--batch-size <n>`) whose help is the key's `.describe()` text with its
 * default, whose choices are the key's z.enum values; a boolean key is a bare flag (`--toroidal`),
 * a list of numbers a comma list (`--hidden 256,128`), a list of a z.enum's values a comma list of
 * names (`--datasets mnist,usps`). `configValues` maps the flags given back to config keys, numbers
 * parsed strictly (`num`, `numList`: resolveConfig names a flag that is not a number).
 *
 * Any command can have its options so: `addOptionsFrom(cmd, schema)` adds a flag per key of an
 * object schema, `readOptions(cmd, schema)` reads back the values given and the texts they were
 * read from (`bench desom` does, its schema in src/experiments/desom-bench-options.ts).
 *
 * Defaults are zod's to apply, never commander's: commander is told each default only to show it
 * in --help, and `configValues` drops every value commander filled in from one, so that a
 * `--config` file's value is overridden by the flags given and by nothing else.
 */
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { KINDS, type KindName } from '../runs/kinds/index.js';
import { flagName, num, numList } from '../runs/config.js';
import type { Output } from './output.js';
import { startRun, type RunKind, type TrainRequest } from '../runs/api.js';
import { drive } from './drive.js';

/** What a config key is, as a flag. */
export interface FlagField {
  key: string;
  type: 'int' | 'number' | 'numbers' | 'names' | 'boolean' | 'string' | 'choice';
  help: string;
  /** The value placeholder: `<rate>`. */
  arg: string;
  /** The values of a choice key, or the names a names key lists. */
  choices?: string[];
  /** The default as --help shows it; undefined when the key has none. */
  defaultText?: string;
}

type Def = { type: string; innerType?: z.ZodType; element?: z.ZodType; entries?: Record<string, string>; defaultValue?: unknown; format?: string };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The default as --help shows it: lists as typed on the command line (256,128), strings quoted as commander quotes choices. */
function showDefault(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** A schema under its default / optional wrappers, with their metadata merged (an outer wrapper's wins) and the default. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; meta: Record<string, unknown>; dflt: unknown } {
  let s = schema;
  let meta: Record<string, unknown> = {};
  let dflt: unknown;
  for (;;) {
    meta = { ...(z.globalRegistry.get(s) ?? {}), ...meta };
    const d = defOf(s);
    if (d.type === 'default' && dflt === undefined) dflt = d.defaultValue;
    if ((d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') && d.innerType !== undefined) s = d.innerType;
    else return { inner: s, meta, dflt };
  }
}

/** What a flag reads for a schema (null: nothing a flag can spell). */
function flagType(schema: z.ZodType): FlagField['type'] | null {
  const d = defOf(unwrap(schema).inner);
  if (d.type === 'number') return d.format?.includes('int') ? 'int' : 'number';
  if (d.type === 'boolean' || d.type === 'string') return d.type;
  if (d.type === 'enum' && d.entries !== undefined) return 'choice';
  if (d.type === 'array' && d.element !== undefined) {
    const e = flagType(d.element);
    return e === 'int' || e === 'number' ? 'numbers' : e === 'choice' ? 'names' : null;
  }
  return null;
}

/** Reads a config key's schema: its type under the default / optional wrappers, its help, placeholder, choices and default. */
export function flagField(key: string, schema: z.ZodType): FlagField {
  const { inner, meta, dflt } = unwrap(schema);
  const type = flagType(inner);
  if (type === null) throw new TypeError(`flagField: config key ${key} is a ${defOf(inner).type}, which no flag reads`);
  const help = meta.description;
  if (typeof help !== 'string' || help === '') throw new TypeError(`flagField: config key ${key} has no help text (.describe())`);
  const d = defOf(inner);
  const named = type === 'names' && d.element !== undefined ? defOf(unwrap(d.element).inner) : d; // a names list: its element's enum
  const choices = type === 'choice' || type === 'names' ? Object.values(named.entries ?? {}) : undefined;
  const arg = typeof meta.arg === 'string' ? meta.arg : type === 'choice' ? 'name' : type === 'names' ? 'list' : type === 'int' ? 'n' : 'value';
  const defaultText = typeof meta.defaultHelp === 'string' ? meta.defaultHelp : dflt === undefined ? undefined : showDefault(dflt);
  return { key, type, help, arg, choices, defaultText };
}

/** The flag fields of every key of an object schema, in the schema's order. */
export function flagFields(schema: z.ZodObject): FlagField[] {
  return Object.entries(schema.shape).map(([key, s]) => flagField(key, s as z.ZodType));
}

/**
 * The commander option of a config key (its default shown, not set: see configValues). A choice
 * key's values are enforced by the flag unless `choices` is false: then the schema refuses a
 * value outside them, in the words of the command that checks it.
 */
export function flagOption(f: FlagField, { choices = true }: { choices?: boolean } = {}): Option {
  const option = new Option(f.type === 'boolean' ? flagName(f.key) : `${flagName(f.key)} <${f.arg}>`, f.help);
  if (f.type === 'choice' && f.choices !== undefined && choices) option.choices(f.choices);
  if (f.defaultText !== undefined) option.default(f.type === 'boolean' ? false : f.defaultText, f.defaultText);
  return option;
}

/** The options of a schema's keys. */
export function configOptions(schema: z.ZodObject): Option[] {
  return flagFields(schema).map((f) => flagOption(f));
}

/** Adds a flag per key of an object schema to `cmd`, in the schema's order (see flagOption for `choices`). */
export function addOptionsFrom(cmd: Command, schema: z.ZodObject, how: { choices?: boolean } = {}): Command {
  for (const f of flagFields(schema)) cmd.addOption(flagOption(f, how));
  return cmd;
}

/**
 * The flags given on the command line, keyed by schema key: `values` as the schema reads them —
 * numbers parsed (a NotANumber for resolveConfig to refuse), a names list split at its commas
 * (blanks dropped), a bare flag as true — and `texts`, each value's flag text as typed, for a
 * message that quotes it. A flag not given is absent from both, its shown default included.
 */
export function readOptions(cmd: Command, schema: z.ZodObject): { values: Record<string, unknown>; texts: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const texts: Record<string, string> = {};
  for (const f of flagFields(schema)) {
    const option = cmd.options.find((o) => o.long === flagName(f.key));
    if (option === undefined) throw new Error(`readOptions: ${cmd.name()} has no option ${flagName(f.key)}`);
    const name = option.attributeName();
    const source = cmd.getOptionValueSource(name);
    if (source === undefined || source === 'default') continue;
    const v: unknown = cmd.getOptionValue(name);
    if (typeof v === 'string') texts[f.key] = v;
    if (f.type === 'int' || f.type === 'number') values[f.key] = num(v as string);
    else if (f.type === 'numbers') values[f.key] = numList(v as string);
    else if (f.type === 'names')
      values[f.key] = (v as string)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    else if (f.type === 'boolean') values[f.key] = v === true ? true : undefined;
    else values[f.key] = v;
  }
  return { values, texts };
}

/** The config values of the flags given on the command line, keyed by config key (readOptions' values). */
export function configValues(cmd: Command, schema: z.ZodObject): Record<string, unknown> {
  return readOptions(cmd, schema).values;
}

/** The options every run command has besides its config keys (none of them a config key). */
export const COMMAND_OPTIONS = {
  config: () => new Option('--config <file>', 'JSON config (snake_case keys as in config.json); flags override it'),
  resume: () => new Option('--resume <run>', 'continue an interrupted run from its last checkpoint'),
  runId: (kind: string) => new Option('--run-id <id>', `name of the run directory (default ${kind}-<date>-<time>)`),
};

/** What main.ts hands to the commands it registers through a helper. */
export interface CommandHooks {
  output: (cmd: Command) => Output;
  done: (code: number) => void;
}

/** A command that makes a run of `kind` from the flags itself, instead of through the runs API. */
export type RunCommand = (request: TrainRequest & { out: string; values: Record<string, unknown> }, out: Output) => Promise<number>;

/**
 * Registers the command of a run kind (`train som` under `parent`, the `train` command): the
 * shared command options, then one flag per config key, in the schema's order. The command
 * trains through the runs API (startRun) and shows the training with `drive`.
 */
export function addRunCommand(parent: Command, kind: KindName, hooks: CommandHooks, run?: RunCommand): Command {
  const { schema: kindSchema, command, resumable, description, argument } = KINDS[kind] as RunKind;
  const schema = kindSchema as unknown as z.ZodObject;
  // `train som` goes under the `train` command; a one-word command (`signatures`) under the program.
  const words = command.split(' ');
  const [group, name] = words.length === 2 ? words : [null, words[0]];
  if ((group ?? parent.name()) !== parent.name() || (group === null && parent.parent !== null))
    throw new Error(`addRunCommand: ${kind} runs are made by "${command}", not under "${parent.name()}"`);
  const shape = schema.shape as Record<string, unknown>;
  const clash = ['config', 'resume', 'run_id', 'out', 'json', 'quiet'].filter((k) => k in shape);
  if (clash.length > 0) throw new Error(`addRunCommand: ${kind}'s config key ${clash.join(', ')} clashes with a command option`);
  const cmd = parent.command(name).description(description);
  if (argument !== undefined) cmd.argument(`<${argument.name}>`, flagField(argument.key, schema.shape[argument.key] as z.ZodType).help);
  cmd.addOption(COMMAND_OPTIONS.config());
  if (resumable) cmd.addOption(COMMAND_OPTIONS.resume());
  cmd.addOption(COMMAND_OPTIONS.runId(kind));
  // The flags: every key but the argument's (a plain object of the same fields: the schema's refinements stay with the schema).
  const flags = argument === undefined ? schema : z.object(Object.fromEntries(Object.entries(schema.shape).filter(([k]) => k !== argument.key)));
  addOptionsFrom(cmd, flags);
  cmd.action(async (...args: unknown[]) => {
    const c = args[args.length - 1] as Command;
    const o = c.opts<{ config?: string; resume?: string; runId?: string }>();
    const values = configValues(c, flags);
    if (argument !== undefined) values[argument.key] = args[0];
    const request = { config: o.config, resume: o.resume, runId: o.runId, out: c.optsWithGlobals<{ out: string }>().out, values };
    const out = hooks.output(c);
    hooks.done(run === undefined ? await drive(startRun(kind, request), out) : await run(request, out));
  });
  return cmd;
}
