import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { KINDS, type KindName } from '../runs/kinds/index.js';
import type { RunKind } from '../runs/kind.js';
import { NotANumber, resolveConfig } from '../runs/config.js';
import { UsageError } from './errors.js';
import { addRunCommand, configOptions, configValues, flagField } from './options.js';
import type { Output } from './output.js';

const schema = z.strictObject({
  batch_size: z.int().positive().default(64).describe('minibatch size'),
  lr: z.number().positive().optional().describe('learning rate').meta({ arg: 'rate' }),
  hidden: z.array(z.int().positive()).default([256, 128]).describe('hidden sizes').meta({ arg: 'sizes' }),
  activation: z.enum(['tanh', 'relu']).default('tanh').describe('hidden activation'),
  toroidal: z.boolean().default(false).describe('wrap the map into a torus'),
  map: z.string().default('8x8').describe('map size').meta({ arg: 'RxC' }),
  k: z.int().positive().optional().describe('number of clusters').meta({ defaultHelp: 'the number of classes' }),
});

/** A command with the schema's flags, parsing `args` (a usage error throws a CommanderError). */
function parse(args: string[]): Command {
  const cmd = new Command('t').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const o of configOptions(schema)) cmd.addOption(o);
  cmd.parse(args, { from: 'user' });
  return cmd;
}

/** The help of an option as one line (commander wraps at 80 columns). */
function optionHelp(help: string, flag: string): string {
  const lines = help.split('\n');
  const i = lines.findIndex((l) => l.trimStart().startsWith(`${flag} `) || l.trim() === flag);
  assert.ok(i >= 0, `${flag} missing from\n${help}`);
  let text = lines[i];
  for (let j = i + 1; j < lines.length && /^\s{6,}\S/.test(lines[j]) && !/^\s*-/.test(lines[j]); j++) text += ` ${lines[j].trim()}`;
  return text.replace(/\s+/g, ' ').trim();
}

describe('flags generated from a config schema', () => {
  test('a flag per key: --batch-size <n>, the placeholder from meta, booleans bare, in the schema’s order', () => {
    assert.deepEqual(
      configOptions(schema).map((o) => o.flags),
      ['--batch-size <n>', '--lr <rate>', '--hidden <sizes>', '--activation <name>', '--toroidal', '--map <RxC>', '--k <n>'],
    );
  });

  test('--help shows each key’s help, choices and default', () => {
    const help = parse([]).helpInformation();
    assert.equal(optionHelp(help, '--batch-size'), '--batch-size <n> minibatch size (default: 64)');
    assert.equal(optionHelp(help, '--lr'), '--lr <rate> learning rate');
    assert.equal(optionHelp(help, '--hidden'), '--hidden <sizes> hidden sizes (default: 256,128)');
    assert.equal(optionHelp(help, '--activation'), '--activation <name> hidden activation (choices: "tanh", "relu", default: "tanh")');
    assert.equal(optionHelp(help, '--toroidal'), '--toroidal wrap the map into a torus (default: false)');
    assert.equal(optionHelp(help, '--map'), '--map <RxC> map size (default: "8x8")');
    assert.equal(optionHelp(help, '--k'), '--k <n> number of clusters (default: the number of classes)');
  });

  test('the values given are read back under their config keys, numbers parsed; the flags not given are absent, defaults included', () => {
    const cmd = parse(['--batch-size', '32', '--lr', '1e-3', '--hidden', '100, 50', '--activation', 'relu', '--toroidal', '--map', '4x5']);
    assert.deepEqual(configValues(cmd, schema), { batch_size: 32, lr: 0.001, hidden: [100, 50], activation: 'relu', toroidal: true, map: '4x5' });
    assert.deepEqual(configValues(parse([]), schema), {});
  });

  test('choices are enforced by the flag', () => {
    assert.throws(
      () => parse(['--activation', 'gelu']),
      (e: unknown) => e instanceof CommanderError && /argument 'gelu' is invalid\. Allowed choices are tanh, relu/.test(e.message),
    );
  });

  test('numbers are read strictly: text that is not a decimal number is refused naming the flag', () => {
    const values = configValues(parse(['--batch-size', '0x10', '--hidden', '1,a']), schema);
    assert.ok(values.batch_size instanceof NotANumber && values.hidden instanceof NotANumber);
    assert.throws(
      () => resolveConfig(schema, null, values, 'cmd'),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === 'cmd: --batch-size: expected a number, got "0x10"\ncmd: --hidden: expected comma-separated numbers such as 256,128, got "1,a"',
    );
  });

  test('a --config file’s value is overridden by a flag given, never by a default', () => {
    const file = { batch_size: 16, activation: 'relu', toroidal: true, map: '3x3' };
    assert.deepEqual(resolveConfig(schema, file, configValues(parse([]), schema), 'cmd'), {
      batch_size: 16,
      hidden: [256, 128],
      activation: 'relu',
      toroidal: true,
      map: '3x3',
    });
    assert.deepEqual(resolveConfig(schema, file, configValues(parse(['--map', '5x5']), schema), 'cmd').map, '5x5');
  });

  test('a key without help text, or of a type no flag can spell, is refused when the flags are made', () => {
    assert.throws(() => flagField('lr', z.number()), /config key lr has no help text/);
    assert.throws(() => flagField('o', z.object({}).describe('x')), /config key o is a object, which no flag reads/);
  });
});

describe('the run commands', () => {
  const hooks = { output: () => ({}) as Output, done: () => {} };

  /** The run command of a kind, under a program like main.ts's, whose action records the flags it is given. */
  function program(kind: KindName): { root: Command; cmd: Command; calls: { values: Record<string, unknown> }[] } {
    const root = new Command('latentlab').exitOverride().option('--out <dir>', 'runs folder', 'runs');
    const words = KINDS[kind].command.split(' ');
    const calls: { values: Record<string, unknown> }[] = [];
    // `train mlp` under `train`; a one-word command (`signatures RUN`) under the program itself.
    const parent = words.length === 1 ? root : root.command(words[0]);
    const cmd = addRunCommand(parent, kind, hooks, (flags) => (calls.push(flags), Promise.resolve(0)));
    cmd.exitOverride();
    return { root, cmd, calls };
  }

  for (const kind of Object.keys(KINDS) as KindName[]) {
    const { schema: kindSchema, command } = KINDS[kind];
    // The key a command takes as its argument (signatures RUN: model) is no flag.
    const argument = (KINDS[kind] as RunKind).argument;
    const shape = Object.fromEntries(Object.entries(kindSchema.shape as Record<string, z.ZodType>).filter(([k]) => k !== argument?.key));
    const positional = argument === undefined ? [] : ['the-run'];
    const given = argument === undefined ? {} : { [argument.key]: 'the-run' };

    test(`${command} --help lists every config key as a flag, with its choices and default`, () => {
      const help = program(kind).cmd.helpInformation();
      const keys = Object.keys(shape);
      const flags = [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
      const commandOnly = ['--config', ...(KINDS[kind].resumable ? ['--resume'] : []), '--run-id'];
      assert.deepEqual(flags, [...commandOnly, ...keys.map((k) => `--${k.replace(/_/g, '-')}`)]);
      for (const key of keys) {
        const line = optionHelp(help, `--${key.replace(/_/g, '-')}`);
        const field = shape[key];
        const parsed = field.safeParse(undefined);
        const dflt = parsed.success ? parsed.data : undefined;
        const defaultHelp = z.globalRegistry.get(field)?.defaultHelp;
        if (typeof defaultHelp === 'string') assert.ok(line.includes(`default: ${defaultHelp})`), line);
        else if (dflt !== undefined) {
          // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the schema defaults left here are numbers and booleans; the rule sees only unknown narrowed to {}
          const shown = Array.isArray(dflt) ? dflt.join(',') : typeof dflt === 'string' ? JSON.stringify(dflt) : String(dflt);
          assert.ok(line.endsWith(`default: ${shown})`), `${line}: expected default ${shown}`);
        }
        const choices = flagField(key, field).choices;
        if (choices !== undefined) assert.ok(line.includes(`(choices: ${choices.map((c) => JSON.stringify(c)).join(', ')}`), line);
      }
    });

    test(`${command} hands every flag given to its config key, and none it was not given`, async () => {
      const { root, calls } = program(kind);
      const args: string[] = [];
      const expected: Record<string, unknown> = { ...given };
      for (const [key, field] of Object.entries(shape)) {
        const f = flagField(key, field);
        const flag = `--${key.replace(/_/g, '-')}`;
        if (f.type === 'boolean') {
          args.push(flag);
          expected[key] = true;
        } else if (f.type === 'int' || f.type === 'number') {
          args.push(flag, '3');
          expected[key] = 3;
        } else if (f.type === 'numbers') {
          args.push(flag, '3,4');
          expected[key] = [3, 4];
        } else {
          const v = f.choices?.at(-1) ?? `${key}-text`;
          args.push(flag, v);
          expected[key] = v;
        }
      }
      await root.parseAsync([...KINDS[kind].command.split(' '), ...positional, ...args], { from: 'user' });
      assert.deepEqual(calls[0].values, expected);
      const { root: root2, calls: calls2 } = program(kind);
      await root2.parseAsync([...KINDS[kind].command.split(' '), ...positional, '--config', 'c.json'], { from: 'user' });
      assert.deepEqual(calls2[0], { config: 'c.json', resume: undefined, runId: undefined, out: 'runs', values: given });
    });
  }
});
