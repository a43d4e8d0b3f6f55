import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { NotANumber, flagName, num, numList, parseDecimal, resolveConfig } from './config.js';
import { UsageError } from './errors.js';

describe('parseDecimal', () => {
  test('reads decimal integers and fractions with an optional sign and exponent', () => {
    const cases: [string, number][] = [
      ['5', 5],
      ['+5', 5],
      ['-2', -2],
      ['0.5', 0.5],
      ['.5', 0.5],
      ['5.', 5],
      ['1e-3', 0.001],
      ['2E4', 20000],
      ['1e11', 1e11],
      ['007', 7],
    ];
    for (const [text, n] of cases) assert.equal(parseDecimal(text), n, text);
  });
  test('refuses what Number() would read another way or not at all', () => {
    for (const text of ['0x1', '0b1', '0o7', '', ' ', ' 5', '5 ', '1e0x', 'abc', 'Infinity', '-Infinity', 'NaN', '1e400', '1_000', '1,5', '.', 'e5', '--5']) {
      assert.equal(parseDecimal(text), null, JSON.stringify(text));
    }
  });
});

describe('num and numList', () => {
  test('leave an absent flag absent', () => {
    assert.equal(num(undefined), undefined);
    assert.equal(numList(undefined), undefined);
  });
  test('turn text that is not a number into a NotANumber carrying it', () => {
    assert.deepEqual(num('0x1'), new NotANumber('0x1', 'expected a number'));
    assert.equal(num('3'), 3);
  });
  test('read comma-separated lists, spaces after the commas allowed, and refuse any bad or empty item', () => {
    assert.deepEqual(numList('256,128'), [256, 128]);
    assert.deepEqual(numList('0, 0.1, 0.2'), [0, 0.1, 0.2]);
    for (const text of ['128,x', '128,', ',128', '128,,64', '', ' 128', '0x10']) assert.ok(numList(text) instanceof NotANumber, JSON.stringify(text));
  });
});

describe('resolveConfig', () => {
  const schema = z.strictObject({
    epochs: z.int().positive().default(5),
    hidden: z.array(z.int().positive()).default([100]),
    batch_size: z.int().positive().default(64),
  });

  function refusal(flags: Record<string, unknown>, file: Record<string, unknown> | null = null): string {
    try {
      resolveConfig(schema, file, flags, 'train mlp');
    } catch (e) {
      assert.ok(e instanceof UsageError);
      return e.message;
    }
    assert.fail('expected a UsageError');
  }

  test('names the flag and the text of every value that is not a number', () => {
    assert.equal(
      refusal({ epochs: num('0x1'), batch_size: num(''), hidden: numList('128,x') }),
      [
        'train mlp: --epochs: expected a number, got "0x1"',
        'train mlp: --batch-size: expected a number, got ""',
        'train mlp: --hidden: expected comma-separated numbers such as 256,128, got "128,x"',
      ].join('\n'),
    );
  });
  test('adds the refused value to zod messages that leave it out', () => {
    assert.equal(refusal({ epochs: 0 }), 'train mlp: epochs: Too small: expected number to be >0 (got 0)');
    assert.equal(refusal({}, { epochs: '5' }), 'train mlp: epochs: Invalid input: expected number, received string (got "5")');
  });
  test('refuses more threads than the backend takes, whether from a flag or a config file', () => {
    const withThreads = z.strictObject({ threads: z.int().positive().optional() });
    assert.throws(() => resolveConfig(withThreads, { threads: 100000 }, {}, 'train mlp'), /^UsageError: --threads 100000: expected at most 1024 threads/);
    assert.deepEqual(resolveConfig(withThreads, null, { threads: 2 }, 'train mlp'), { threads: 2 });
  });
  test('flagName spells a config key as its flag', () => {
    assert.equal(flagName('batch_size'), '--batch-size');
    assert.equal(flagName('t_max'), '--t-max');
  });
});
